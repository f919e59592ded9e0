package dev.javia.ota.server.testing;

import dev.javia.ota.protocol.pkg.FileTrees;
import dev.javia.ota.server.OtaServerApplication;
import org.springframework.boot.Banner;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * The real server, started in-process on a random port over its own fresh database, for other modules' tests
 * (agent, packager, end to end). Close it to stop the server and drop the database.
 */
public final class TestServer implements AutoCloseable {

    private final ConfigurableApplicationContext context;
    private final TestDatabase database;
    private final Path storage;
    private final DatabaseProxy proxy;

    private TestServer(ConfigurableApplicationContext context, TestDatabase database, Path storage,
            DatabaseProxy proxy) {
        this.context = context;
        this.database = database;
        this.storage = storage;
        this.proxy = proxy;
    }

    public static TestServer start() {
        return start(Map.of());
    }

    /** Starts a server; {@code overrides} are extra Spring properties, e.g. {@code ota.max-package-size}. */
    public static TestServer start(Map<String, Object> overrides) {
        return start(overrides, null);
    }

    /**
     * Starts a server whose database connections go through a {@link DatabaseProxy} (its {@link #databaseProxy}),
     * which the test cuts to take the database away from the server and restores to give it back.
     */
    public static TestServer startBehindProxy(Map<String, Object> overrides) {
        return start(overrides, database -> DatabaseProxy.to(database.host(), database.port()));
    }

    private static TestServer start(Map<String, Object> overrides,
            Function<TestDatabase, DatabaseProxy> proxying) {
        TestDatabase database = TestDatabase.create();
        DatabaseProxy proxy = null;
        try {
            Path storage = Files.createTempDirectory("ota-test-storage");
            Map<String, Object> settings = TestDatabaseInitializer.settings(database, storage);
            settings.put("server.port", "0");
            if (proxying != null) {
                proxy = proxying.apply(database);
                settings.put("spring.datasource.url", database.urlAt("127.0.0.1", proxy.port()));
            }
            settings.putAll(overrides);
            return new TestServer(run(settings), database, storage, proxy);
        } catch (IOException e) {
            closeQuietly(proxy, database);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            closeQuietly(proxy, database);
            throw e;
        }
    }

    /**
     * Runs the server's application with exactly these settings (above application.properties and the environment,
     * so that the test's database and keys are used) and answers its context; a refused start throws.
     */
    public static ConfigurableApplicationContext run(Map<String, Object> settings) {
        return new SpringApplicationBuilder(OtaServerApplication.class, TestServerConfiguration.class)
                .bannerMode(Banner.Mode.OFF)
                .initializers(app -> app.getEnvironment().getPropertySources()
                        .addFirst(new MapPropertySource("ota-test-server", settings)))
                .run();
    }

    private static void closeQuietly(DatabaseProxy proxy, TestDatabase database) {
        if (proxy != null) {
            proxy.close();
        }
        database.close();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    public String adminKey() {
        return TestDatabaseInitializer.ADMIN_KEY;
    }

    public String enrollmentKey() {
        return TestDatabaseInitializer.ENROLLMENT_KEY;
    }

    public JdbcTemplate jdbcTemplate() {
        return context.getBean(JdbcTemplate.class);
    }

    public MutableClock clock() {
        return context.getBean(MutableClock.class);
    }

    public Path storagePath() {
        return storage;
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    public HttpApi api() {
        return new HttpApi(baseUrl());
    }

    /** The relay between this server and its database (started with {@link #startBehindProxy}). */
    public DatabaseProxy databaseProxy() {
        if (proxy == null) {
            throw new IllegalStateException("this server talks to its database directly: use startBehindProxy");
        }
        return proxy;
    }

    @Override
    public void close() {
        if (proxy != null) {
            proxy.restore(); // so that the server writes what it holds as it stops
        }
        context.close();
        closeQuietly(proxy, database);
        deleteQuietly(storage);
    }

    static void deleteQuietly(Path directory) {
        try {
            FileTrees.delete(directory, false);
        } catch (IOException e) {
            System.err.println("could not delete test storage " + directory + ": " + e.getMessage());
        }
    }
}
