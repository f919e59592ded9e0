package dev.javia.ota.server.testing;

import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.test.context.support.TestPropertySourceUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Points a Spring test context at one fresh database (and one package directory) per test run: every test class
 * of the run shares them, so tests clean the tables they use.
 */
public class TestDatabaseInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    public static final String ADMIN_KEY = "test-admin-key-3f9c2a7b5d1e8f40";
    public static final String SECOND_ADMIN_KEY = "test-admin-key-rotated-8e1d4c6a";
    public static final String ENROLLMENT_KEY = "test-enrollment-key-7a2b9c4d1e6f";

    private static TestDatabase database;
    private static Path storage;

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        var sources = context.getEnvironment().getPropertySources();
        var settings = new MapPropertySource("ota-test", properties());
        // below a test class's own @TestPropertySource, above everything else
        if (sources.contains(TestPropertySourceUtils.INLINED_PROPERTIES_PROPERTY_SOURCE_NAME)) {
            sources.addAfter(TestPropertySourceUtils.INLINED_PROPERTIES_PROPERTY_SOURCE_NAME, settings);
        } else {
            sources.addFirst(settings);
        }
    }

    static synchronized Map<String, Object> properties() {
        if (database == null) {
            database = TestDatabase.create();
            try {
                storage = Files.createTempDirectory("ota-test-storage");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                database.close();
                TestServer.deleteQuietly(storage);
            }));
        }
        return settings(database, storage);
    }

    static Map<String, Object> settings(TestDatabase database, Path storage) {
        return settings(database.url(), database.user(), database.password(), storage);
    }

    /** What a test server runs with: this database, the test keys, packages in {@code storage}, no timers. */
    public static Map<String, Object> settings(String url, String user, String password, Path storage) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("spring.datasource.url", url);
        settings.put("spring.datasource.username", user);
        settings.put("spring.datasource.password", password);
        settings.put("ota.admin-api-keys", ADMIN_KEY + "," + SECOND_ADMIN_KEY);
        settings.put("ota.enrollment-key", ENROLLMENT_KEY);
        settings.put("ota.storage-path", storage.toString());
        settings.put("ota.jobs.enabled", "false");
        settings.put("ota.heartbeat-batching", "false");
        // webhook receivers in tests listen on 127.0.0.1, and a hanging one is given up after a second
        settings.put("ota.webhooks.allow-private-addresses", "true");
        settings.put("ota.webhooks.request-timeout", "1s");
        settings.put("ota.webhooks.connect-timeout", "1s");
        settings.put("ota.webhooks.tick-budget", "5s");
        settings.put("spring.main.banner-mode", "off");
        return settings;
    }
}
