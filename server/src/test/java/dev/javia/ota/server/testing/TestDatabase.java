package dev.javia.ota.server.testing;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A fresh database on the PostgreSQL server named by {@code OTA_TEST_DB_URL} (a JDBC URL of any database there,
 * e.g. {@code jdbc:postgresql://localhost:5432/postgres}), else the one at localhost:5432. Dropped on close.
 */
public final class TestDatabase implements AutoCloseable {

    private static final String DEFAULT_URL = "jdbc:postgresql://localhost:5432/postgres";

    private final String serverUrl;
    private final String name;
    private final String user;
    private final String password;

    private TestDatabase(String serverUrl, String name, String user, String password) {
        this.serverUrl = serverUrl;
        this.name = name;
        this.user = user;
        this.password = password;
    }

    public static TestDatabase create() {
        String url = env("OTA_TEST_DB_URL", DEFAULT_URL);
        String user = env("OTA_TEST_DB_USER", "postgres");
        String password = env("OTA_TEST_DB_PASSWORD", "");
        String name = "ota_test_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss")) + "_"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        try (Connection connection = DriverManager.getConnection(url, user, password);
             Statement statement = connection.createStatement()) {
            statement.execute("create database " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Tests need a PostgreSQL server: none answered at " + url + " as " + user
                    + " (" + e.getMessage() + "). Start one (`bash .ci/run` does) or set OTA_TEST_DB_URL.", e);
        }
        return new TestDatabase(url, name, user, password);
    }

    public String name() {
        return name;
    }

    public String url() {
        return url(name);
    }

    /** The URL of another database on the same server, e.g. one that does not exist. */
    public String url(String database) {
        int slash = serverUrl.indexOf('/', "jdbc:postgresql://".length());
        int query = serverUrl.indexOf('?');
        String base = slash < 0 ? serverUrl : serverUrl.substring(0, slash);
        return base + "/" + database + (query < 0 ? "" : serverUrl.substring(query));
    }

    /** The same database's URL on another host and port, e.g. a {@link DatabaseProxy} in front of it. */
    public String urlAt(String host, int port) {
        return "jdbc:postgresql://" + host + ":" + port + url().substring(url().indexOf('/', "jdbc:postgresql://".length()));
    }

    /** The PostgreSQL server's host, from the URL. */
    public String host() {
        return serverAddress().getHost();
    }

    /** The PostgreSQL server's port, from the URL (5432 when it names none). */
    public int port() {
        int port = serverAddress().getPort();
        return port < 0 ? 5432 : port;
    }

    private URI serverAddress() {
        return URI.create(serverUrl.substring("jdbc:".length()));
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    @Override
    public void close() {
        try (Connection connection = DriverManager.getConnection(serverUrl, user, password);
             Statement statement = connection.createStatement()) {
            statement.execute("drop database if exists " + name + " with (force)");
        } catch (SQLException e) {
            System.err.println("could not drop test database " + name + ": " + e.getMessage());
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
