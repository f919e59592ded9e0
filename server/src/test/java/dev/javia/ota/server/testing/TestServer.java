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

/**
 * The real server, started in-process on a random port over its own fresh database, for other modules' tests
 * (agent, packager, end to end). Close it to stop the server and drop the database.
 */
public final class TestServer implements AutoCloseable {

    private final ConfigurableApplicationContext context;
    private final TestDatabase database;
    private final Path storage;

    private TestServer(ConfigurableApplicationContext context, TestDatabase database, Path storage) {
        this.context = context;
        this.database = database;
        this.storage = storage;
    }

    public static TestServer start() {
        return start(Map.of());
    }

    /** Starts a server; {@code overrides} are extra Spring properties, e.g. {@code ota.max-package-size}. */
    public static TestServer start(Map<String, Object> overrides) {
        TestDatabase database = TestDatabase.create();
        try {
            Path storage = Files.createTempDirectory("ota-test-storage");
            Map<String, Object> settings = TestDatabaseInitializer.settings(database, storage);
            settings.put("server.port", "0");
            settings.putAll(overrides);
            return new TestServer(run(settings), database, storage);
        } catch (IOException e) {
            database.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            database.close();
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

    @Override
    public void close() {
        context.close();
        database.close();
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
