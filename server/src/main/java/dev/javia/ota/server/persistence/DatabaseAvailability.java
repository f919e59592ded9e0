package dev.javia.ota.server.persistence;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.util.DriverDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether the database answers, known without making anyone wait: a probe checks every probe interval on a
 * connection of its own (outside the pool, so that a pool busy with a burst is not taken for a dead database), and
 * at once when the pool fails to hand out a connection. Readiness answers from the last result; while the database
 * is gone the pool's callers are refused at once ({@link GatedDataSource}) instead of each waiting for a connection,
 * so that a fleet's requests cannot pile up on the request threads. The outage is logged once when it starts and
 * once when it ends, however many requests it refused.
 */
final class DatabaseAvailability implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DatabaseAvailability.class);

    private final HikariDataSource pool;
    private final DriverDataSource probeSource;
    private final int timeoutSeconds;
    private final Duration interval;
    private final AtomicBoolean checkRequested = new AtomicBoolean();
    private final Object probeLock = new Object();

    private volatile boolean available = true;
    private volatile Instant downSince;
    private volatile String lastFailure;
    private Connection probe;
    private ScheduledExecutorService prober;

    DatabaseAvailability(HikariDataSource pool, Duration interval) {
        this.pool = pool;
        this.interval = interval;
        // the probe waits no longer for the database than a request waits for a connection
        this.timeoutSeconds = (int) Math.max(1, Duration.ofMillis(pool.getConnectionTimeout()).toSeconds());
        Properties properties = new Properties();
        properties.putAll(pool.getDataSourceProperties());
        properties.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("socketTimeout", Integer.toString(timeoutSeconds));
        properties.setProperty("ApplicationName", "javia-ota availability probe");
        this.probeSource = new DriverDataSource(pool.getJdbcUrl(), pool.getDriverClassName(), properties,
                pool.getUsername(), pool.getPassword());
    }

    /** The last probe's answer: a volatile read, cheap enough for every request. */
    boolean available() {
        return available;
    }

    /** When the current outage began (null while the database answers). */
    Instant downSince() {
        return downSince;
    }

    /** What the last failed probe saw, for the health details and the log. */
    String lastFailure() {
        return lastFailure;
    }

    /** Asks the database now, on the probe's own connection. */
    void check() {
        SQLException failure = null;
        synchronized (probeLock) {
            try {
                if (probe == null || !probe.isValid(timeoutSeconds)) {
                    closeProbe();
                    probe = probeSource.getConnection();
                }
            } catch (SQLException e) {
                closeProbe();
                failure = e;
            }
        }
        record(failure);
    }

    /** The pool could not hand out a connection: look now rather than at the next interval. */
    void poolFailed() {
        ScheduledExecutorService executor = prober;
        if (executor != null && checkRequested.compareAndSet(false, true)) {
            try {
                executor.execute(() -> {
                    checkRequested.set(false);
                    check();
                });
            } catch (RejectedExecutionException e) {
                checkRequested.set(false); // stopping
            }
        }
    }

    /** What a caller of the pool gets while the database is gone; SQLState 08001 marks it as a connection failure. */
    SQLException refusal() {
        return new SQLTransientConnectionException("the database is not answering (since " + downSince + ": "
                + lastFailure + ")", "08001");
    }

    private synchronized void record(SQLException failure) {
        if (failure != null && !unanswered(failure)) {
            // PostgreSQL answered, with a refusal of this one connection (too many clients, a role's password): the
            // pool's connections may serve on, so this is no outage; the pool's own failures say what they are
            log.debug("availability probe refused by the database: {}", failure.getMessage());
            return;
        }
        if (failure == null) {
            if (!available) {
                log.info("database available again after {} s of outage; answering requests",
                        Duration.between(downSince, Instant.now()).toSeconds());
            }
            available = true;
            downSince = null;
            lastFailure = null;
            return;
        }
        lastFailure = failure.getClass().getSimpleName() + ": " + failure.getMessage();
        if (available) {
            downSince = Instant.now();
            available = false;
            log.warn("database unavailable ({}); answering 503 with Retry-After until it returns", lastFailure);
            // connections opened before the outage are dead: none of them may serve the first request after it
            HikariPoolMXBean connections = pool.getHikariPoolMXBean();
            if (connections != null) {
                connections.softEvictConnections();
            }
        }
    }

    /** No answer from PostgreSQL: refused, reset or silent (class 08, or no state), or shutting down or starting up. */
    private static boolean unanswered(SQLException failure) {
        String state = failure.getSQLState();
        return state == null || state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                || state.equals("57P03");
    }

    private void closeProbe() {
        if (probe != null) {
            try {
                probe.close();
            } catch (SQLException e) {
                // a dead connection may not close cleanly; it is dropped either way
            }
            probe = null;
        }
    }

    @Override
    public synchronized void start() {
        prober = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "database-probe");
            thread.setDaemon(true);
            return thread;
        });
        prober.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() {
        if (prober != null) {
            prober.shutdownNow();
            prober = null;
        }
        synchronized (probeLock) {
            closeProbe();
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return prober != null;
    }
}
