package dev.javia.ota.server.events;

import com.zaxxer.hikari.HikariDataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Listens, on a connection of its own, on every {@link Channel} of the server, and hands each notification to its
 * channel. The connection is outside the pool: a pooled connection is handed to whoever asks next, and LISTEN lives
 * only as long as its session. A daemon thread, started with the context and stopped before the pool closes; while
 * its connection is down it opens it again every {@link ListenSettings#reconnectInterval()}, and each channel is told
 * ({@link Channel#notListening()}, then {@link Channel#listening()} once it is back).
 */
@Component
class DatabaseListener implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DatabaseListener.class);
    /** How long one wait for notifications lasts: how soon a stop or a due check is noticed. */
    private static final int WAIT_MILLIS = 500;

    private final Map<String, Channel> channels;
    private final DataSource dataSource;
    private final ListenSettings settings;
    private volatile boolean running;
    private volatile Thread thread;
    private volatile Connection connection;

    DatabaseListener(List<Channel> channels, DataSource dataSource, ListenSettings settings) {
        this.channels = channels.stream().collect(Collectors.toUnmodifiableMap(Channel::name, Function.identity()));
        this.dataSource = dataSource;
        this.settings = settings;
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        Thread listener = new Thread(this::run, "db-listener");
        listener.setDaemon(true);
        thread = listener;
        listener.start();
    }

    @Override
    public synchronized void stop() {
        running = false;
        Thread listener = thread;
        thread = null;
        if (listener == null) {
            return;
        }
        listener.interrupt();
        closeQuietly(connection);
        try {
            listener.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channels.values().forEach(Channel::notListening);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void run() {
        boolean wasDown = false;
        while (running) {
            try (Connection listening = open()) {
                connection = listening;
                try (Statement statement = listening.createStatement()) {
                    for (String channel : channels.keySet()) {
                        // names are the server's own constants, never input
                        statement.execute("LISTEN " + channel);
                    }
                }
                channels.values().forEach(Channel::listening);
                if (wasDown) {
                    log.info("database listener listening again on {}: what was missed is read again",
                            channels.keySet());
                    wasDown = false;
                }
                receive(listening);
            } catch (SQLException | RuntimeException e) {
                channels.values().forEach(Channel::notListening);
                if (!running) {
                    break;
                }
                if (!wasDown) {
                    // told once per outage: meanwhile every device token is looked up and the dashboard is not live
                    log.warn("database listener lost its connection, device tokens are looked up and the dashboard"
                            + " is not live until it is back: {}", e.getMessage());
                    wasDown = true;
                }
                pause();
            } finally {
                connection = null;
            }
        }
    }

    /** Hands each notification to its channel, until the connection breaks or the listener stops. */
    private void receive(Connection listening) throws SQLException {
        PGConnection postgres = listening.unwrap(PGConnection.class);
        long checkNanos = settings.checkInterval().toNanos();
        long lastWord = System.nanoTime();
        while (running) {
            PGNotification[] notifications = postgres.getNotifications(WAIT_MILLIS);
            if (notifications != null && notifications.length > 0) {
                lastWord = System.nanoTime();
                for (PGNotification notification : notifications) {
                    Channel channel = channels.get(notification.getName());
                    if (channel != null) {
                        channel.received(notification.getParameter());
                    }
                }
            } else if (System.nanoTime() - lastWord > checkNanos) {
                // a partition says nothing: only a statement (bounded by the socket timeout) finds it
                try (Statement statement = listening.createStatement()) {
                    statement.execute("select 1");
                }
                lastWord = System.nanoTime();
            }
        }
    }

    /**
     * A connection of the pool's database, with the pool's settings (timeouts, keep-alives, TLS), or to
     * {@link ListenSettings#url()} when one is set.
     */
    private Connection open() throws SQLException {
        HikariDataSource pool = dataSource.unwrap(HikariDataSource.class);
        Properties properties = new Properties();
        properties.putAll(pool.getDataSourceProperties());
        if (pool.getUsername() != null) {
            properties.setProperty("user", pool.getUsername());
        }
        if (pool.getPassword() != null) {
            properties.setProperty("password", pool.getPassword());
        }
        properties.setProperty("ApplicationName", "javia-ota listener");
        String url = settings.url() != null ? settings.url() : pool.getJdbcUrl();
        return DriverManager.getConnection(url, properties);
    }

    private void pause() {
        try {
            Thread.sleep(settings.reconnectInterval().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // closing is all that was wanted
            }
        }
    }
}
