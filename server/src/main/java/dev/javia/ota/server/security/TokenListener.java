package dev.javia.ota.server.security;

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
import java.util.Properties;
import java.util.UUID;

/**
 * Listens, on a connection of its own, for the device tokens another instance (or this one) revoked
 * ({@link DeviceTokens#revoked}), and evicts them from this instance's cache. The connection is outside the pool:
 * a pooled connection is handed to whoever asks next, and LISTEN lives only as long as its session. A daemon
 * thread, started with the context and stopped before the pool closes; while its connection is down it opens it
 * again every {@link TokenListenerSettings#reconnectInterval()}, and {@link DeviceTokens} caches nothing.
 */
@Component
class TokenListener implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(TokenListener.class);
    /** How long one wait for notifications lasts: how soon a stop or a due check is noticed. */
    private static final int WAIT_MILLIS = 500;

    private final DeviceTokens tokens;
    private final DataSource dataSource;
    private final TokenListenerSettings settings;
    private volatile boolean running;
    private volatile Thread thread;
    private volatile Connection connection;

    TokenListener(DeviceTokens tokens, DataSource dataSource, TokenListenerSettings settings) {
        this.tokens = tokens;
        this.dataSource = dataSource;
        this.settings = settings;
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        Thread listener = new Thread(this::run, "token-listener");
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
        tokens.notListening();
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
                    statement.execute("LISTEN " + DeviceTokens.CHANNEL);
                }
                tokens.listening();
                if (wasDown) {
                    log.info("token listener listening again: the token cache starts empty");
                    wasDown = false;
                }
                receive(listening);
            } catch (SQLException | RuntimeException e) {
                tokens.notListening();
                if (!running) {
                    break;
                }
                if (!wasDown) {
                    // told once per outage; the cache is bypassed until the listener is back
                    log.warn("token listener lost its connection, every device token is looked up until it is back:"
                            + " {}", e.getMessage());
                    wasDown = true;
                }
                pause();
            } finally {
                connection = null;
            }
        }
    }

    /** Evicts what each notification names, until the connection breaks or the listener stops. */
    private void receive(Connection listening) throws SQLException {
        PGConnection postgres = listening.unwrap(PGConnection.class);
        long checkNanos = settings.checkInterval().toNanos();
        long lastWord = System.nanoTime();
        while (running) {
            PGNotification[] notifications = postgres.getNotifications(WAIT_MILLIS);
            if (notifications != null && notifications.length > 0) {
                lastWord = System.nanoTime();
                for (PGNotification notification : notifications) {
                    evict(notification.getParameter());
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

    private void evict(String payload) {
        UUID deviceId;
        try {
            deviceId = UUID.fromString(payload);
        } catch (IllegalArgumentException e) {
            // not ours to read: forget everything rather than keep a token someone meant to revoke
            tokens.listening();
            return;
        }
        tokens.forgetDevice(deviceId);
    }

    /**
     * A connection of the pool's database, with the pool's settings (timeouts, keep-alives, TLS), or to
     * {@link TokenListenerSettings#url()} when one is set.
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
        properties.setProperty("ApplicationName", "javia-ota token listener");
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
