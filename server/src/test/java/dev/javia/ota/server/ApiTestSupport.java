package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.DebianPackageNames;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.MutableClock;
import dev.javia.ota.server.testing.TestDatabaseInitializer;
import dev.javia.ota.server.testing.TestServer;
import dev.javia.ota.server.testing.TestServerConfiguration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ContextConfiguration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real server on a random port, over the run's fresh PostgreSQL database, with a clock the test sets. Each
 * test starts from empty tables.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ContextConfiguration(initializers = TestDatabaseInitializer.class)
@Import(TestServerConfiguration.class)
abstract class ApiTestSupport {

    static final String ADMIN = TestDatabaseInitializer.ADMIN_KEY;
    static final String ENROLLMENT = TestDatabaseInitializer.ENROLLMENT_KEY;
    static final Instant NOON_UTC = Instant.parse("2026-06-15T12:00:00Z");

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    MutableClock clock;
    @TempDir
    Path work;

    HttpApi api;

    @Autowired
    OtaProperties properties;
    @Autowired
    Environment environment;

    @BeforeEach
    void emptyTablesAndStorageAndSetClock() throws IOException {
        jdbc.execute("truncate rollout_changes, rollout_tallies, rollout_devices, rollouts, device_updates, update_deltas, updates,"
                + " device_challenges, devices, webhook_deliveries, webhooks");
        Path packages = properties.storagePath().resolve("updates");
        if (Files.exists(packages)) {
            try (var files = Files.walk(packages)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        clock.set(NOON_UTC);
        api = new HttpApi("http://127.0.0.1:" + port);
    }

    /**
     * Starts a second server instance over this one's database and package directory, on a port of its own, as a
     * second replica behind a load balancer; {@code overrides} are extra settings. The caller closes it.
     */
    ConfigurableApplicationContext startSecondInstance(Map<String, Object> overrides) {
        Map<String, Object> settings = TestDatabaseInitializer.settings(
                environment.getProperty("spring.datasource.url"),
                environment.getProperty("spring.datasource.username"),
                environment.getProperty("spring.datasource.password", ""), properties.storagePath());
        settings.put("server.port", "0");
        settings.putAll(overrides);
        // the schema is the first server's: the second one only checks it, as a second instance in production
        return TestServer.run(settings);
    }

    static String newDeviceUuid() {
        return com.github.f4b6a3.uuid.UuidCreator.getTimeOrderedEpoch().toString();
    }

    /** A registered device: its uuid and token. */
    record TestDevice(String uuid, String token) {
    }

    TestDevice register(String timezone) {
        return register(timezone, "v1.0.0");
    }

    TestDevice register(String timezone, String version) {
        String uuid = newDeviceUuid();
        return new TestDevice(uuid, api.register(ENROLLMENT, uuid, timezone, version));
    }

    Path samplePackage(String version, UpdateType type, String systemPackages) {
        try {
            return PackageBuilder.samplePackage(work.resolve(UUID.randomUUID().toString()), Version.parse(version),
                    type, DebianPackageNames.parseList(systemPackages));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A release of {@code version} with a large file: {@code audio/model.bin} (256 KiB made from the seed
     * {@code model}: the same seed, the same bytes, so that a delta between two releases of one seed is small) and a
     * client that names the version; built into {@code work/update_<version>.zip}.
     */
    static Path release(Path work, String version, int model) throws IOException {
        Path source = work.resolve("source-" + version);
        Files.createDirectories(source.resolve("audio"));
        Files.writeString(source.resolve("client.py"), "print('javia " + version + "')\n");
        Files.writeString(source.resolve("requirements.txt"), "requests==2.32.3\n");
        byte[] bytes = new byte[256 * 1024];
        new java.util.Random(model).nextBytes(bytes);
        Files.write(source.resolve("audio/model.bin"), bytes);
        Path zip = work.resolve("update_" + version + ".zip");
        PackageBuilder.buildFile(source, Version.parse(version), UpdateType.SCHEDULED, "release " + version,
                java.util.List.of(), Instant.parse("2026-06-01T00:00:00Z"), zip);
        return zip;
    }

    HttpApi.Response publish(String version, String type) {
        return publish(version, type, null, null);
    }

    HttpApi.Response publish(String version, String type, String systemPackages, String targets) {
        Map<String, Object> form = form(version, type, systemPackages, targets);
        form.put("package", samplePackage(version, UpdateType.parse(type), systemPackages));
        return api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
    }

    static Map<String, Object> form(String version, String type, String systemPackages, String targets) {
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("version", version);
        form.put("description", "test update " + version);
        form.put("update_type", type);
        if (systemPackages != null) {
            form.put("system_packages", systemPackages);
        }
        if (targets != null) {
            form.put("target_devices", targets);
        }
        return form;
    }

    /** Publishes and answers the new update's id. */
    String published(String version, String type) {
        HttpApi.Response response = publish(version, type);
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        return response.json().get("update").get("id").asText();
    }

    /** A device's report on an update, as its agent sends it; {@code error} only when given. */
    HttpApi.Response report(TestDevice device, String updateId, String status, String error) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("device_uuid", device.uuid());
        body.put("status", status);
        if (error != null) {
            body.put("error_message", error);
        }
        return api.post(ApiPaths.updateStatus(updateId), device.token(), body);
    }

    /**
     * A problem detail with this status and a sentence containing {@code detailContains}: no null members, and
     * nothing of the server's insides (Java class names, stack traces, Jackson's or Tomcat's wording).
     */
    static void assertProblem(HttpApi.Response response, int status, String detailContains) {
        assertThat(response.status()).as(response.toString()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.json().get("detail").asText()).containsIgnoringCase(detailContains);
        assertThat(response.json().get("title").asText()).isNotBlank();
        assertThat(response.json().get("status").asInt()).isEqualTo(status);
        assertThat(response.body()).as(response.toString()).doesNotContain("Exception").doesNotContain("\tat ")
                .doesNotContain(":null").doesNotContain("dev.javia").doesNotContain("java.").doesNotContain("jackson")
                .doesNotContain("class ").doesNotContain("<html");
    }
}
