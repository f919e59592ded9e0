package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.server.device.Heartbeats;
import dev.javia.ota.server.testing.DatabaseProxy;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.MutableClock;
import dev.javia.ota.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The database taken away from a running server and given back: a relay between the two is cut (open connections
 * reset, new ones refused, as when PostgreSQL stops) and restored. Every request that needs the database is answered
 * with 503, Retry-After and a problem detail within a client's patience, readiness says so while liveness stays up,
 * nothing the server acknowledged is lost, and the server recovers by itself. Heartbeats are batched, as in
 * production; the flush is called by the test.
 */
class DatabaseOutageTests {

    /** How long a client waits for any answer: the only bound on time here. */
    private static final Duration PATIENCE = Duration.ofSeconds(5);

    private static TestServer server;
    private static DatabaseProxy proxy;
    private static HttpApi api;
    private static Heartbeats heartbeats;
    private static MutableClock clock;

    @BeforeAll
    static void start() {
        server = TestServer.startBehindProxy(Map.of("ota.heartbeat-batching", "true"));
        proxy = server.databaseProxy();
        api = new HttpApi(server.baseUrl(), PATIENCE);
        heartbeats = server.bean(Heartbeats.class);
        clock = server.clock();
        clock.set(Instant.parse("2026-06-15T12:00:00Z")); // whole seconds, as PostgreSQL keeps them
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void databaseBack() {
        proxy.restore();
        awaitReadiness(200);
    }

    @Test
    void everyRequestThatNeedsTheDatabaseIsAnswered503WithRetryAfter(@TempDir Path work) throws IOException {
        Device device = device("v1.0.0");
        String updateId = published(work, "v1.1.0");

        outage();

        assertUnavailable(api.get(ApiPaths.DEVICES, server.adminKey()));
        assertUnavailable(api.get(ApiPaths.device(device.uuid()), server.adminKey()));
        assertUnavailable(heartbeat(device, "v1.0.0"));
        assertUnavailable(heartbeat(device, "v1.1.0"));
        assertUnavailable(api.get(ApiPaths.check(device.uuid()), device.token()));
        assertUnavailable(api.post(ApiPaths.updateStatus(updateId), device.token(), Map.of("status", "downloading")));
        assertUnavailable(api.post(ApiPaths.REGISTER, server.enrollmentKey(),
                Map.of("device_uuid", ApiTestSupport.newDeviceUuid(), "timezone", "UTC")));
        assertThat(api.get("/actuator/health/liveness", null).status()).isEqualTo(200);
        assertThat(api.get("/actuator/health/readiness", null).status()).isEqualTo(503);

        proxy.restore();
        awaitReadiness(200);
        assertThat(stored(device, "current_version")).as("the refused version change changed nothing").isEqualTo("v1.0.0");
        assertThat(api.post(ApiPaths.updateStatus(updateId), device.token(), Map.of("status", "downloading"))
                .json().get("status").asText()).as("the report sent again").isEqualTo("downloading");
    }

    /** A token this server has not seen yet is looked up by Spring Security, before any controller: 503 there too. */
    @Test
    void aDeviceWhoseTokenIsNotCachedGets503NotAnError() {
        String uuid = ApiTestSupport.newDeviceUuid();
        Device fresh = new Device(uuid, api.register(server.enrollmentKey(), uuid, "UTC", "v1.0.0"));

        outage();

        assertUnavailable(heartbeat(fresh, "v1.0.0"));
        assertUnavailable(api.get(ApiPaths.DEVICES, "dvt_a-token-this-server-never-gave-anyone"));
        proxy.restore();
        awaitReadiness(200);
        assertThat(heartbeat(fresh, "v1.0.0").status()).isEqualTo(200);
    }

    @Test
    void readinessFollowsTheDatabaseAndTheFirstRequestAfterItReturnsSucceeds() {
        Device device = device("v1.0.0");

        proxy.cut();
        awaitReadiness(503);
        assertThat(api.get("/actuator/health/liveness", null).status()).isEqualTo(200);
        proxy.restore();
        // nothing but the server's own probe looks at the database until readiness is back
        awaitReadiness(200);

        // the pool held connections that the outage reset: none of them may serve these
        assertThat(api.get(ApiPaths.DEVICES, server.adminKey()).status()).isEqualTo(200);
        assertThat(heartbeat(device, "v1.0.1").status()).isEqualTo(200);
        assertThat(stored(device, "current_version")).isEqualTo("v1.0.1");
    }

    @Test
    void heartbeatsAnsweredBeforeTheOutageAreWrittenWhenItEnds() {
        Device a = device("v1.0.0");
        Device b = device("v1.0.0");
        Device c = device("v1.0.0");
        clock.advance(Duration.ofMinutes(5));
        Map<String, Object> withMetadata = new LinkedHashMap<>(Map.of("current_version", "v1.0.0"));
        withMetadata.put("metadata", Map.of("uptime", 300));
        assertThat(api.post(ApiPaths.heartbeat(a.uuid()), a.token(), withMetadata).status()).isEqualTo(200);
        assertThat(heartbeat(b, "v1.0.0").status()).isEqualTo(200);
        Instant answered = clock.instant();

        outage();
        assertThat(heartbeats.flush()).as("nothing can be written, nothing is dropped").isZero();
        clock.advance(Duration.ofMinutes(1));
        // answered 503 (its reply's update check needs the database), but the device was seen
        assertUnavailable(heartbeat(c, "v1.0.0"));
        Instant seenInTheOutage = clock.instant();
        assertThat(heartbeats.flush()).isZero();
        proxy.restore();
        awaitReadiness(200);

        assertThat(heartbeats.flush()).isEqualTo(3);
        assertThat(stored(a, "last_seen")).isEqualTo(answered.toString());
        assertThat(stored(b, "last_seen")).isEqualTo(answered.toString());
        assertThat(stored(c, "last_seen")).isEqualTo(seenInTheOutage.toString());
        assertThat(server.jdbcTemplate().queryForObject("select metadata->>'uptime' from devices where device_uuid = ?",
                String.class, a.uuid())).isEqualTo("300");
    }

    @Test
    void aHeartbeatKeptThroughTheOutageGivesWayToANewerOne() {
        Device device = device("v1.0.0");
        clock.advance(Duration.ofMinutes(5));
        assertThat(heartbeat(device, "v1.0.0").status()).isEqualTo(200);

        outage();
        heartbeats.flush();
        proxy.restore();
        awaitReadiness(200);
        clock.advance(Duration.ofMinutes(5));
        // the device installed an update meanwhile: its new version is written at once, with the kept heartbeat
        assertThat(heartbeat(device, "v1.1.0").status()).isEqualTo(200);
        heartbeats.flush();

        assertThat(stored(device, "current_version")).isEqualTo("v1.1.0");
        assertThat(stored(device, "last_seen")).isEqualTo(clock.instant().toString());
    }

    /** Cuts the database away and waits until the server says so; every answer meanwhile comes within patience. */
    private static void outage() {
        proxy.cut();
        awaitReadiness(503);
    }

    private static void awaitReadiness(int status) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> api.get("/actuator/health/readiness", null).status() == status);
    }

    private static void assertUnavailable(HttpApi.Response response) {
        assertThat(response.status()).as(response.toString()).isEqualTo(503);
        assertThat(response.header("Retry-After")).isEqualTo("10");
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.json().get("detail").asText())
                .isEqualTo("the database is not answering; nothing was changed: retry after 10 s");
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("SQL");
    }

    private record Device(String uuid, String token) {
    }

    /** A registered device that has called once, so that its token is known without the database. */
    private static Device device(String version) {
        String uuid = ApiTestSupport.newDeviceUuid();
        Device device = new Device(uuid, api.register(server.enrollmentKey(), uuid, "UTC", version));
        assertThat(heartbeat(device, version).status()).isEqualTo(200);
        heartbeats.flush();
        return device;
    }

    private static HttpApi.Response heartbeat(Device device, String version) {
        return api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", version));
    }

    private static String published(Path work, String version) throws IOException {
        Map<String, Object> form = ApiTestSupport.form(version, "urgent", null, null);
        form.put("package", PackageBuilder.samplePackage(work, Version.parse(version), UpdateType.URGENT, List.of()));
        HttpApi.Response response = api.multipart(ApiPaths.CREATE_UPDATE, server.adminKey(), form);
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        return response.json().get("update").get("id").asText();
    }

    private static String stored(Device device, String column) {
        return server.jdbcTemplate().queryForObject("select " + column + " from devices where device_uuid = ?",
                (rs, row) -> column.equals("last_seen") ? rs.getTimestamp(1).toInstant().toString() : rs.getString(1),
                device.uuid());
    }
}
