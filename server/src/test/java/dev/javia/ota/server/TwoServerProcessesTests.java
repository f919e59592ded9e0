package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.DebianPackageNames;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.server.ApiTestSupport.TestDevice;
import dev.javia.ota.server.testing.DashboardHttp;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.S3Server;
import dev.javia.ota.server.testing.ServerProcess;
import dev.javia.ota.server.testing.SseEvents;
import dev.javia.ota.server.testing.TestDatabase;
import dev.javia.ota.server.testing.TestDatabaseInitializer;
import dev.javia.ota.server.testing.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 17's "two servers over one database behave as one", with nothing shared but what production shares: two
 * server processes, A and B, each its own JVM configured only through the environment as an operator configures
 * it, over one PostgreSQL database prepared as Supabase's (db/supabase/emulate.sql, then the migrations, which the
 * servers run), with their packages in Supabase Storage's S3 endpoint (s3proxy at {@code SUPABASE_URL}'s
 * {@code /storage/v1/s3}, bucket {@code update-packages}, stand-in keys). A device talks to A, the operator to B,
 * as a load balancer might send them; each scenario checks that what one does the other sees, at once or within
 * its job's interval. A third instance is stopped as a rolling restart stops it; last, A is killed and B carries on
 * alone. Each server's log is under target/server-processes/, and a failed test carries the tails of A's and B's.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TwoServerProcessesTests {

    private static final String ADMIN = TestDatabaseInitializer.ADMIN_KEY;
    private static final String ENROLLMENT = TestDatabaseInitializer.ENROLLMENT_KEY;
    private static final String METRICS_KEY = "metrics-key-two-instances-7c3e9a1f5b";
    private static final String BUCKET = "update-packages";
    private static final Path EMULATION = Path.of("..", "db", "supabase", "emulate.sql");
    private static final List<String> SUPABASE_ROLES = List.of("anon", "authenticated", "service_role", "authenticator");
    /** How soon "at once" must be: a NOTIFY arrives within milliseconds; this leaves room for a loaded machine. */
    private static final Duration AT_ONCE = Duration.ofSeconds(3);
    /** A job's interval here (1 s) and a flush's, with room for a loaded machine. */
    private static final Duration A_JOB = Duration.ofSeconds(10);
    private static final Duration HOLD = Duration.ofSeconds(30);

    private static final Set<String> rolesCreatedHere = new HashSet<>();
    /** Each publication a version newer than the last, whichever order the tests run in. */
    private static final AtomicInteger minor = new AtomicInteger();

    private static TestDatabase database;
    private static S3Server s3;
    private static ServerProcess a;
    private static ServerProcess b;
    /** The third instance of the graceful stop, while that test runs. */
    private static ServerProcess c;
    private static HttpApi onA;
    private static HttpApi onB;

    @TempDir
    static Path work;

    @RegisterExtension
    static final TestExecutionExceptionHandler logs = ServerProcess.logsOnFailure(() -> Arrays.asList(a, b, c));

    @BeforeAll
    static void startTwoServersOverOneSupabaseDatabase() throws Exception {
        database = TestDatabase.create();
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            for (String role : SUPABASE_ROLES) {
                if (!statement.executeQuery("select 1 from pg_roles where rolname = '" + role + "'").next()) {
                    rolesCreatedHere.add(role);
                }
            }
            statement.execute(Files.readString(EMULATION));
        }
        s3 = S3Server.start(work.resolve("s3"));
        s3.createBucket(BUCKET);
        // both at once over the empty database: one runs the migrations, the other waits for Flyway's lock
        a = ServerProcess.launch("a", environment());
        b = ServerProcess.launch("b", environment());
        a.awaitReady();
        b.awaitReady();
        onA = a.api();
        onB = b.api();
    }

    /** What an operator's unit would set, from the seed's Supabase settings and the documented names. */
    private static Map<String, String> environment() {
        Map<String, String> environment = ServerProcess.environment(database);
        environment.put("OTA_STORAGE", "s3");
        // the project's URL: its S3 endpoint is SUPABASE_URL/storage/v1/s3; the bucket is the default one
        environment.put("SUPABASE_URL", s3.origin());
        environment.put("OTA_S3_ACCESS_KEY_ID", S3Server.ACCESS_KEY);
        environment.put("OTA_S3_SECRET_ACCESS_KEY", S3Server.SECRET_KEY);
        environment.put("OTA_METRICS_KEY", METRICS_KEY);
        environment.put("OTA_METRICS_REFRESH", "1s");
        environment.put("OTA_PUSH_HOLD", HOLD.toSeconds() + "s");
        // not in the README's table: the sweep's timer (Jobs), bound from the environment as any setting is
        environment.put("OTA_OFFLINE_SWEEP_INTERVAL", "1s");
        environment.put("OTA_WEBHOOKS_DELIVERY_INTERVAL", "1s");
        // the test's receiver listens on 127.0.0.1
        environment.put("OTA_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", "true");
        return environment;
    }

    /** After the failure handler has attached its log to a failure of the test that started it. */
    @AfterEach
    void forgetTheThirdInstance() {
        c = null;
    }

    @AfterAll
    static void stopEverything() {
        for (AutoCloseable closeable : new AutoCloseable[] {a, b, s3}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                System.err.println("could not stop " + closeable + ": " + e.getMessage());
            }
        }
        if (database != null) {
            database.close();
        }
        // Another database may have been given grants to them meanwhile: then they stay, as the server's roles.
        for (String role : List.of("authenticator", "service_role", "authenticated", "anon")) {
            if (rolesCreatedHere.contains(role) && database != null) {
                try (Connection connection = DriverManager.getConnection(database.url("postgres"), database.user(),
                        database.password()); Statement statement = connection.createStatement()) {
                    statement.execute("drop role if exists " + role);
                } catch (SQLException e) {
                    System.err.println("left role " + role + " in place: " + e.getMessage());
                }
            }
        }
    }

    @Test
    void aDeviceThatHeartbeatsOnAIsSeenOnlineByTheOperatorOnB() {
        TestDevice device = register(onA, "v1.0.0");
        assertThat(listed(onB, device).get("status").asText()).as("registered through A").isEqualTo("online");
        HttpApi.Response offline = onB.patch(ApiPaths.deviceStatus(device.uuid()), ADMIN, Map.of("status", "offline"));
        assertThat(offline.status()).as(offline.toString()).isEqualTo(200);
        Instant before = Instant.now();

        // a heartbeat that repeats the record: A answers it at once and writes it with its next flush
        HttpApi.Response beat = onA.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of());
        assertThat(beat.status()).as(beat.toString()).isEqualTo(200);

        await("the device online on B").atMost(A_JOB).pollInterval(Duration.ofMillis(100))
                .until(() -> listed(onB, device).get("status").asText().equals("online"));
        JsonNode seen = listed(onB, device);
        assertThat(Instant.parse(seen.get("last_seen").asText())).isAfterOrEqualTo(before.minusSeconds(1));
        assertThat(seen.get("current_version").asText()).isEqualTo("v1.0.0");
    }

    @Test
    void anUpdatePublishedOnBIsOfferedDownloadedAndReportedOnAAndShownCompletedOnB() throws IOException {
        TestDevice device = register(onA, "v1.0.0");
        String version = nextVersion();
        Path file = samplePackage(version);
        byte[] zip = Files.readAllBytes(file);

        String id = publish(onB, version, device, file).get("update").get("id").asText();

        JsonNode check = check(onA, device);
        assertThat(check.get("update_available").asBoolean()).as(check.toString()).isTrue();
        assertThat(check.get("update").get("id").asText()).isEqualTo(id);
        assertThat(check.get("update").get("version").asText()).isEqualTo(version);
        String sha256 = check.get("update").get("sha256").asText();

        HttpApi.Response download = onA.get(ApiPaths.download(id), device.token());
        assertThat(download.status()).as(download.toString()).isEqualTo(302);
        URI location = URI.create(download.header("Location"));
        assertThat(location.toString()).as("presigned, on the bucket B wrote to")
                .startsWith(s3.endpoint() + "/" + BUCKET + "/").contains("X-Amz-Signature=")
                .doesNotContain(device.token());
        HttpApi store = new HttpApi(s3.origin());
        String presigned = location.getRawPath() + "?" + location.getRawQuery();
        HttpApi.Response whole = store.get(presigned, null);
        assertThat(whole.status()).as(whole.toString()).isEqualTo(200);
        assertThat(Sha256.of(whole.bytes())).isEqualTo(sha256);
        int from = whole.bytes().length / 3;
        HttpApi.Response rest = store.get(presigned, null, "Range", "bytes=" + from + "-");
        assertThat(rest.status()).as("a resumed download").isEqualTo(206);
        assertThat(rest.bytes()).isEqualTo(Arrays.copyOfRange(whole.bytes(), from, whole.bytes().length));

        for (String status : List.of("downloading", "installing", "completed")) {
            HttpApi.Response report = report(onA, device, id, status);
            assertThat(report.status()).as(status + ": " + report).isEqualTo(200);
        }

        JsonNode shown = onB.get(ApiPaths.device(device.uuid()), ADMIN).json();
        assertThat(shown.get("current_version").asText()).isEqualTo(version);
        assertThat(shown.get("status").asText()).isEqualTo("online");
        assertThat(shown.get("current_update").get("status").asText()).isEqualTo("completed");
        JsonNode devices = onB.get(ApiPaths.updateDevices(id), ADMIN).json().get("devices");
        assertThat(devices).hasSize(1);
        assertThat(devices.get(0).get("status").asText()).isEqualTo("completed");
        assertThat(zip).as("the bytes uploaded to B are the bytes A sent the device to").isEqualTo(whole.bytes());
    }

    @Test
    void aDeviceThatCompletedThroughAIsOfferedNothingMoreByB() {
        TestDevice device = register(onA, "v1.0.0");
        String version = nextVersion();
        String id = publish(onB, version, device).get("update").get("id").asText();
        assertThat(check(onB, device).get("update_available").asBoolean()).as("B offers it first").isTrue();
        assertThat(check(onA, device).get("update_available").asBoolean()).isTrue();

        for (String status : List.of("downloading", "installing", "completed")) {
            assertThat(report(onA, device, id, status).status()).as(status).isEqualTo(200);
        }

        JsonNode again = check(onB, device);
        assertThat(again.get("update_available").asBoolean()).as("B's answer after A's completed: " + again)
                .isFalse();
        HttpApi.Response beat = onB.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("current_version", version));
        assertThat(beat.status()).as(beat.toString()).isEqualTo(200);
        assertThat(onA.get(ApiPaths.device(device.uuid()), ADMIN).json().get("current_version").asText())
                .isEqualTo(version);
    }

    @Test
    void aKeyResetByTheOperatorOnBRevokesTheTokenOnAAtOnce() {
        TestDevice device = register(onA, "v1.0.0");
        assertThat(status(onA, device)).as("A knows the token, and caches it").isEqualTo(200);

        HttpApi.Response reset = onB.post(ApiPaths.resetDeviceKey(device.uuid()), ADMIN,
                Map.of("reason", "a new SD card"));
        assertThat(reset.status()).as(reset.toString()).isEqualTo(200);

        refusedBy(onA, device);
        assertThat(status(onB, device)).isEqualTo(401);
    }

    @Test
    void aTokenReplacedThroughBIsRefusedOnAAtOnce() {
        TestDevice device = register(onA, "v1.0.0");
        assertThat(status(onA, device)).isEqualTo(200);

        String renewed = onB.register(ENROLLMENT, device.uuid(), "UTC", "v1.0.0");

        refusedBy(onA, device);
        assertThat(status(onA, new TestDevice(device.uuid(), renewed))).isEqualTo(200);
    }

    @Test
    void aWaitHeldOnAIsAnsweredWhenTheOperatorPublishesOnB() {
        TestDevice device = register(onA, "v1.0.0");
        String cursor = check(onA, device).get("push_cursor").asText();
        HttpApi patient = a.api(HOLD.plusSeconds(10));
        CompletableFuture<HttpApi.Response> waiting = CompletableFuture.supplyAsync(
                () -> patient.get(ApiPaths.deviceWait(device.uuid()) + "?cursor=" + cursor, device.token()));
        // held: a wait with something to tell is answered at once, so one still open after a second is held
        await("the wait held on A").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
                .until(() -> !waiting.isDone());

        long published = System.nanoTime();
        String version = nextVersion();
        publish(onB, version, device);

        HttpApi.Response woken = waiting.orTimeout(HOLD.toSeconds() + 10, TimeUnit.SECONDS).join();
        Duration after = Duration.ofNanos(System.nanoTime() - published);
        assertThat(woken.status()).as(woken.toString()).isEqualTo(200);
        assertThat(woken.json().get("check_now").asBoolean()).as(woken.toString()).isTrue();
        assertThat(after).as("answered when B published, not at the end of the hold").isLessThan(Duration.ofSeconds(10));
        JsonNode check = check(onA, device);
        assertThat(check.get("update").get("version").asText()).isEqualTo(version);
        assertThat(woken.json().get("cursor").asText()).isEqualTo(check.get("push_cursor").asText());
    }

    @Test
    void aDashboardStreamOnBHearsADeviceChangeMadeOnA() throws Exception {
        TestDevice device = register(onA, "v1.0.0");
        DashboardHttp pagesOfB = new DashboardHttp(b.port());
        Session session = pagesOfB.signIn(ADMIN);
        assertThat(new DashboardHttp(a.port()).get("/", session).statusCode())
                .as("a session made on B serves the operator on A (sessions live in the database)").isEqualTo(200);
        try (SseEvents events = SseEvents.open(pagesOfB, "/events?device=" + device.uuid(), session)) {
            assertThat(events.next()).isEqualTo("open");

            // a new version: A writes the heartbeat before it answers, and the row's trigger notifies
            HttpApi.Response beat = onA.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                    Map.of("current_version", "v1.0.1"));
            assertThat(beat.status()).as(beat.toString()).isEqualTo(200);

            List<String> before = events.until("device");
            assertThat(before).as("events before the device's").doesNotContain("not-live");
        }
    }

    @Test
    void prometheusOnEachInstanceShowsTheSameFleet() {
        // a version no other test's device runs, so that its series counts this device alone
        String version = "v0." + (900 + minor.incrementAndGet()) + ".0";
        String moved = "v0." + (900 + minor.incrementAndGet()) + ".0";
        TestDevice device = register(onA, version);
        String series = "ota_devices{status=\"online\",version=\"" + version + "\"} 1.0";

        await("both scrapes count the device").atMost(A_JOB).pollInterval(Duration.ofMillis(200))
                .until(() -> scrape(a).contains(series) && scrape(b).contains(series));

        HttpApi.Response beat = onA.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("current_version", moved));
        assertThat(beat.status()).as(beat.toString()).isEqualTo(200);
        String movedSeries = "ota_devices{status=\"online\",version=\"" + moved + "\"} 1.0";
        await("both scrapes follow the device to its new version").atMost(A_JOB).pollInterval(Duration.ofMillis(200))
                .until(() -> scrape(a).contains(movedSeries) && scrape(b).contains(movedSeries)
                        && !scrape(a).contains("version=\"" + version + "\"")
                        && !scrape(b).contains("version=\"" + version + "\""));
    }

    @Test
    void anEventIsDeliveredOnceThoughBothInstancesRunTheDeliveries() {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            HttpApi.Response created = onB.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", receiver.url(),
                    "events", List.of("device.update_failed")));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            String webhook = created.json().get("webhook").get("id").asText();
            try {
                TestDevice device = register(onA, "v1.0.0");
                String id = publish(onB, nextVersion(), device).get("update").get("id").asText();
                assertThat(report(onA, device, id, "downloading").status()).isEqualTo(200);
                assertThat(report(onA, device, id, "failed", "sha256 mismatch").status()).isEqualTo(200);

                await("the failure delivered").atMost(A_JOB).pollInterval(Duration.ofMillis(100))
                        .until(() -> receiver.received().size() == 1);
                // each instance looks for due deliveries every second: a few rounds of both, and still one
                await("no second delivery").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4))
                        .until(() -> receiver.received().size() == 1);
                assertThat(receiver.received().get(0).body()).contains(device.uuid()).contains("sha256 mismatch");
                JsonNode deliveries = onA.get(ApiPaths.webhookDeliveries(webhook), ADMIN).json().get("deliveries");
                assertThat(deliveries).hasSize(1);
                assertThat(deliveries.get(0).get("status").asText()).isEqualTo("delivered");
                assertThat(deliveries.get(0).get("attempts").asInt()).isEqualTo(1);
            } finally {
                onB.delete(ApiPaths.webhook(webhook), ADMIN);
            }
        }
    }

    /**
     * A rolling restart: a third instance C, whose heartbeat flush would wait an hour, is stopped as its unit stops
     * it (SIGTERM). What it answered but had not written yet is written as it stops, and the wait it held is
     * answered at once, so that its device waits again elsewhere instead of at the end of the hold.
     */
    @Test
    void anInstanceStoppedGracefullyWritesTheHeartbeatsItHeldAndReleasesItsWaits() throws SQLException {
        Map<String, String> environment = environment();
        environment.put("OTA_HEARTBEAT_FLUSH_INTERVAL", "1h");
        c = ServerProcess.start("c", environment);
        try {
            HttpApi onC = c.api();
            TestDevice device = register(onC, "v1.0.0");
            HttpApi.Response offline = onB.patch(ApiPaths.deviceStatus(device.uuid()), ADMIN,
                    Map.of("status", "offline"));
            assertThat(offline.status()).as(offline.toString()).isEqualTo(200);
            backdate(device);
            Instant before = Instant.now();
            HttpApi.Response beat = onC.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of());
            assertThat(beat.status()).as(beat.toString()).isEqualTo(200);
            assertThat(listed(onB, device).get("status").asText()).as("C holds the heartbeat for its flush")
                    .isEqualTo("offline");

            String cursor = check(onC, device).get("push_cursor").asText();
            HttpApi patient = c.api(HOLD.plusSeconds(10));
            CompletableFuture<HttpApi.Response> waiting = CompletableFuture.supplyAsync(
                    () -> patient.get(ApiPaths.deviceWait(device.uuid()) + "?cursor=" + cursor, device.token()));
            await("the wait held on C").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
                    .until(() -> !waiting.isDone());

            long stopping = System.nanoTime();
            c.close();

            assertThat(c.exitValue()).as("C ended by its SIGTERM, not killed").isEqualTo(143);
            HttpApi.Response released = waiting.orTimeout(HOLD.toSeconds() + 10, TimeUnit.SECONDS).join();
            assertThat(Duration.ofNanos(System.nanoTime() - stopping)).as("released as C stopped, not at the end"
                    + " of the hold").isLessThan(HOLD.minusSeconds(10));
            assertThat(released.status()).as(released.toString()).isEqualTo(200);
            assertThat(released.json().get("check_now").asBoolean()).isFalse();
            JsonNode seen = listed(onB, device);
            assertThat(seen.get("status").asText()).as("the heartbeat C answered, written as it stopped")
                    .isEqualTo("online");
            assertThat(Instant.parse(seen.get("last_seen").asText())).isAfterOrEqualTo(before.minusSeconds(1));
            assertThat(check(onB, device).get("push_cursor").asText()).as("the device waits again on B")
                    .isEqualTo(cursor);
        } finally {
            c.close();
        }
    }

    /** Last: A is gone for the rest of the class. */
    @Test
    @Order(Integer.MAX_VALUE)
    void withAKilledBKeepsServingTheDeviceAndRunsTheJobs() throws SQLException {
        TestDevice device = register(onA, "v1.0.0");
        TestDevice silent = register(onA, "v1.0.0");
        assertThat(check(onA, device).get("update_available").asBoolean()).isFalse();

        a.kill();
        assertThat(a.isAlive()).isFalse();

        assertThat(check(onB, device).get("update_available").asBoolean()).isFalse();
        Instant before = Instant.now();
        HttpApi.Response beat = onB.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of());
        assertThat(beat.status()).as(beat.toString()).isEqualTo(200);
        await("B's flush writes the heartbeat").atMost(A_JOB).pollInterval(Duration.ofMillis(100))
                .until(() -> !Instant.parse(listed(onB, device).get("last_seen").asText())
                        .isBefore(before.minusSeconds(1)));

        // silent for an hour, as far as the database knows: only B is left to run the sweep that notices
        backdate(silent);
        await("B's sweep marks the silent device offline").atMost(A_JOB).pollInterval(Duration.ofMillis(100))
                .until(() -> listed(onB, silent).get("status").asText().equals("offline"));
        assertThat(listed(onB, device).get("status").asText()).isEqualTo("online");
    }

    /** The device last seen an hour ago, as far as the database knows. */
    private static void backdate(TestDevice device) throws SQLException {
        try (Connection connection = connect(); PreparedStatement update = connection.prepareStatement(
                "update devices set last_seen = now() - interval '1 hour' where device_uuid = ?")) {
            update.setString(1, device.uuid());
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
    }

    private static TestDevice register(HttpApi on, String version) {
        String uuid = ApiTestSupport.newDeviceUuid();
        return new TestDevice(uuid, on.register(ENROLLMENT, uuid, "Europe/Berlin", version));
    }

    /** The device as the operator's list shows it. */
    private static JsonNode listed(HttpApi on, TestDevice device) {
        HttpApi.Response page = on.get(ApiPaths.DEVICES + "?q=" + device.uuid(), ADMIN);
        assertThat(page.status()).as(page.toString()).isEqualTo(200);
        JsonNode devices = page.json().get("devices");
        assertThat(devices).as(page.toString()).hasSize(1);
        return devices.get(0);
    }

    private static JsonNode check(HttpApi on, TestDevice device) {
        HttpApi.Response check = on.get(ApiPaths.check(device.uuid()), device.token());
        assertThat(check.status()).as(check.toString()).isEqualTo(200);
        return check.json();
    }

    private static int status(HttpApi on, TestDevice device) {
        return on.get(ApiPaths.device(device.uuid()), device.token()).status();
    }

    private static void refusedBy(HttpApi on, TestDevice device) {
        await("the old token refused").atMost(AT_ONCE).pollInterval(Duration.ofMillis(10))
                .until(() -> status(on, device) == 401);
    }

    private static HttpApi.Response report(HttpApi on, TestDevice device, String updateId, String status) {
        return on.post(ApiPaths.updateStatus(updateId), device.token(),
                Map.of("device_uuid", device.uuid(), "status", status));
    }

    private static HttpApi.Response report(HttpApi on, TestDevice device, String updateId, String status,
            String error) {
        return on.post(ApiPaths.updateStatus(updateId), device.token(),
                Map.of("device_uuid", device.uuid(), "status", status, "error_message", error));
    }

    /** Publishes {@code version} as an urgent update for {@code device} alone, so that the tests stay apart. */
    private static JsonNode publish(HttpApi on, String version, TestDevice device) {
        return publish(on, version, device, samplePackage(version));
    }

    private static JsonNode publish(HttpApi on, String version, TestDevice device, Path file) {
        Map<String, Object> form = ApiTestSupport.form(version, "urgent", null, device.uuid());
        form.put("package", file);
        HttpApi.Response created = on.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json();
    }

    private static Path samplePackage(String version) {
        try {
            return PackageBuilder.samplePackage(Files.createTempDirectory(work, "package"), Version.parse(version),
                    UpdateType.URGENT, DebianPackageNames.parseList(null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String nextVersion() {
        return "v1." + minor.incrementAndGet() + ".0";
    }

    private static String scrape(ServerProcess server) {
        HttpApi.Response response = server.api().get("/actuator/prometheus", null, "Authorization",
                "Bearer " + METRICS_KEY);
        assertThat(response.status()).as(server + ": " + response).isEqualTo(200);
        return response.body();
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection(database.url(), database.user(), database.password());
    }
}
