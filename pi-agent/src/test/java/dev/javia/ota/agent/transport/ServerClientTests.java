package dev.javia.ota.agent.transport;

import dev.javia.ota.protocol.api.ApiExamples;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateCheck;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerClientTests {

    private final MockWebServer server = new MockWebServer();
    private ServerClient client;

    @BeforeEach
    void start() throws IOException {
        server.start();
        client = new ServerClient(URI.create(server.url("/").toString()), Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void sendsTheTokenAndSnakeCaseJson() throws Exception {
        server.enqueue(json(200, "{\"device_uuid\":\"u\",\"status\":\"online\",\"heartbeat_interval_seconds\":300,"
                + "\"something_new\":true}"));

        client.heartbeat("0190f7a4-5b6c-7d8e-9f00-112233445566", new Heartbeat("v1.0.0", null, null), "tok");

        RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        assertThat(request.getUrl().encodedPath())
                .isEqualTo("/api/v1/devices/0190f7a4-5b6c-7d8e-9f00-112233445566/heartbeat");
        assertThat(request.getHeaders().get("X-API-Key")).isEqualTo("tok");
        assertThat(request.getBody().utf8()).isEqualTo("{\"current_version\":\"v1.0.0\"}");
        assertThat(request.getHeaders().names()).containsExactlyInAnyOrder("X-API-Key", "Content-Type",
                "Content-Length", "Host", "User-Agent");
        assertThat(request.getHeaders().get("User-Agent")).isEqualTo("javia-agent");
    }

    /**
     * The check as a server from before window_ends_at answers it, and as today's does: today's agent reads both
     * (the field is absent, then null, or a time).
     */
    @Test
    void readsTheCheckOfAnOlderServerAndOfTodays() throws Exception {
        server.enqueue(json(200, Files.readString(ApiExamples.file("older/check.response.json"))));
        server.enqueue(json(200, Files.readString(ApiExamples.file("check.response.json"))));
        server.enqueue(json(200, Files.readString(ApiExamples.file("check-nothing-due.response.json"))));

        UpdateCheck older = client.check("0190f7a4-5b6c-7d8e-9f00-112233445566", "tok");
        UpdateCheck today = client.check("0190f7a4-5b6c-7d8e-9f00-112233445566", "tok");
        UpdateCheck nothing = client.check("0190f7a4-5b6c-7d8e-9f00-112233445566", "tok");

        assertThat(older.updateAvailable()).isTrue();
        assertThat(older.scheduledFor()).isEqualTo(Instant.parse("2026-06-16T09:00:00Z"));
        assertThat(older.windowEndsAt()).isNull();
        assertThat(older.update().rollback()).as("no field: a plain update").isFalse();
        assertThat(today.windowEndsAt()).isEqualTo(Instant.parse("2026-06-16T12:00:00Z"));
        assertThat(today.update().rollback()).isFalse();
        assertThat(nothing.updateAvailable()).isFalse();
        assertThat(nothing.windowEndsAt()).isNull();
    }

    /** {@code UpdateOffer} as agents before the rollback flag were built with: the same components, no rollback. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record OfferBeforeRollback(UUID id, String version, UpdateType updateType, String description, String packageUrl,
            String sha256, long sizeBytes, boolean requiresSystemPackages, List<String> systemPackages) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record CheckBeforeRollback(boolean updateAvailable, OfferBeforeRollback update, Instant scheduledFor,
            UpdateStatus status, int checkIntervalSeconds, Instant windowEndsAt) {
    }

    /**
     * The agents in the field read a server's offer of a rollback: the agent's mapper (unchanged by the flag; it has
     * ignored unknown fields since the agent's first version) reads it into the records as they were before it,
     * and today's agent reads the flag.
     */
    @Test
    void anAgentBeforeTheRollbackFlagReadsAnOfferOfARollback() throws Exception {
        String body = Files.readString(ApiExamples.file("check-rollback.response.json"));
        server.enqueue(json(200, body));

        CheckBeforeRollback before = client.json().readValue(body, CheckBeforeRollback.class);
        UpdateCheck today = client.check("0190f7a4-5b6c-7d8e-9f00-112233445566", "tok");

        assertThat(before.update().version()).isEqualTo("v1.2.2");
        assertThat(before.update().sha256()).isEqualTo(today.update().sha256());
        assertThat(today.update().rollback()).isTrue();
    }

    @Test
    void passesTheDateOfEachApiAnswerOnForClockTrust() {
        List<Instant> dates = new ArrayList<>();
        ServerClient dated = new ServerClient(URI.create(server.url("/").toString()), Duration.ofSeconds(5),
                dates::add);
        server.enqueue(new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .setHeader("Date", "Sun, 01 Jun 2025 12:04:59 GMT")
                .body("{\"device_uuid\":\"u\",\"status\":\"online\"}").build());
        server.enqueue(json(200, "{\"device_uuid\":\"u\",\"status\":\"online\"}"));

        dated.heartbeat("u", new Heartbeat("v1.0.0", null, null), "tok");
        dated.heartbeat("u", new Heartbeat("v1.0.0", null, null), "tok");

        assertThat(dates).as("the second answer has no Date").containsExactly(Instant.parse("2025-06-01T12:04:59Z"));
    }

    @Test
    void aServerErrorIsTransientAndAProblemIsARefusalWithItsDetail() {
        server.enqueue(json(503, "{}"));
        server.enqueue(new MockResponse.Builder().code(409).setHeader("Content-Type", "application/problem+json")
                .body("{\"type\":\"about:blank\",\"title\":\"Conflict\",\"status\":409,"
                        + "\"detail\":\"this update was superseded\"}").build());
        StatusReport report = new StatusReport("u", UpdateStatus.DOWNLOADING, null);

        assertThatThrownBy(() -> client.report(UUID.randomUUID(), report, "tok"))
                .isInstanceOf(ServerUnavailableException.class).hasMessageContaining("503");
        assertThatThrownBy(() -> client.report(UUID.randomUUID(), report, "tok"))
                .isInstanceOfSatisfying(ServerRejectedException.class, e -> {
                    assertThat(e.conflict()).isTrue();
                    assertThat(e.getMessage()).contains("Conflict: this update was superseded");
                });
    }

    @Test
    void aServerThatSaysWhenToComeBackIsHeard() {
        server.enqueue(unavailable("120").build());
        server.enqueue(unavailable("Mon, 01 Dec 2025 12:00:30 GMT").setHeader("Date", "Mon, 01 Dec 2025 12:00:00 GMT")
                .build());
        server.enqueue(unavailable("soon").build());
        server.enqueue(json(503, "{}"));

        assertThat(retryAfterOfACheck()).contains(Duration.ofSeconds(120));
        assertThat(retryAfterOfACheck()).as("an HTTP date, against the answer's own Date").contains(Duration.ofSeconds(30));
        assertThat(retryAfterOfACheck()).as("unreadable").isEmpty();
        assertThat(retryAfterOfACheck()).as("absent").isEmpty();
    }

    private Optional<Duration> retryAfterOfACheck() {
        try {
            client.check("u", "tok");
        } catch (ServerUnavailableException e) {
            return e.retryAfter();
        }
        throw new AssertionError("the check should have failed");
    }

    private static MockResponse.Builder unavailable(String retryAfter) {
        return new MockResponse.Builder().code(503).setHeader("Content-Type", "application/problem+json")
                .setHeader("Retry-After", retryAfter)
                .body("{\"title\":\"Service Unavailable\",\"status\":503,\"detail\":\"the database is not answering\"}");
    }

    @Test
    void anUnreachableServerIsTransient() {
        ServerClient nowhere = new ServerClient(URI.create("http://127.0.0.1:1"), Duration.ofSeconds(2));

        assertThatThrownBy(() -> nowhere.check("u", "tok")).isInstanceOf(ServerUnavailableException.class);
    }

    @Test
    void resumesADownloadWithRangeAndIfRange(@TempDir Path dir) throws Exception {
        Path part = Files.write(dir.resolve("pkg.zip"), "hello ".getBytes());
        server.enqueue(new MockResponse.Builder().code(206).setHeader("Content-Range", "bytes 6-10/11")
                .body("world").build());

        long size = client.download("/api/v1/updates/42/download", "abc", 11, part, "tok", bytes -> {
        });

        assertThat(size).isEqualTo(11);
        assertThat(Files.readString(part)).isEqualTo("hello world");
        RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        assertThat(request.getHeaders().get("Range")).isEqualTo("bytes=6-");
        assertThat(request.getHeaders().get("If-Range")).isEqualTo("\"abc\"");
        assertThat(request.getHeaders().get("X-API-Key")).isEqualTo("tok");
    }

    /**
     * DOWNLOAD_MAX_KBPS: the loop sleeps (through the Sleeper, here a clock that records and moves) so that the bytes
     * never run ahead of the cap; 1 MB at 100 KiB/s is 10 s of sleeps, and progress is told after each sleep.
     */
    @Test
    void capsTheDownloadsBandwidthWithSleepsOfTheSleeper(@TempDir Path dir) throws Exception {
        int size = 1_024_000;
        server.enqueue(new MockResponse.Builder().code(200).body("x".repeat(size)).build());
        long[] nanos = {0};
        List<Duration> sleeps = new ArrayList<>();
        client.pace(new DownloadPace(100 * 1024, duration -> {
            sleeps.add(duration);
            nanos[0] += duration.toNanos();
        }, () -> nanos[0]));
        List<Long> progress = new ArrayList<>();

        long got = client.download("/api/v1/updates/42/download", "abc", size, dir.resolve("pkg.zip"), "tok",
                progress::add);

        assertThat(got).isEqualTo(size);
        Duration slept = sleeps.stream().reduce(Duration.ZERO, Duration::plus);
        assertThat(slept).isEqualTo(Duration.ofSeconds(10));
        assertThat(sleeps).allSatisfy(sleep -> assertThat(sleep).isLessThanOrEqualTo(Duration.ofSeconds(1)));
        assertThat(progress).hasSizeGreaterThanOrEqualTo(sleeps.size());
    }

    @Test
    void aDownloadWithoutACapNeverSleeps(@TempDir Path dir) throws Exception {
        server.enqueue(new MockResponse.Builder().code(200).body("x".repeat(1_000_000)).build());
        List<Duration> sleeps = new ArrayList<>();
        client.pace(new DownloadPace(0, sleeps::add, () -> 0));

        client.download("/api/v1/updates/42/download", "abc", 1_000_000, dir.resolve("pkg.zip"), "tok", bytes -> {
        });

        assertThat(sleeps).isEmpty();
    }

    /** Endless data (TUF): a server or mirror that sends more than it announced fills no disk. */
    @Test
    void stopsOneBytePastTheAnnouncedSize(@TempDir Path dir) throws Exception {
        Path part = dir.resolve("pkg.zip");
        server.enqueue(new MockResponse.Builder().code(200).body("x".repeat(1_000_000)).build());

        long got = client.download("/api/v1/updates/42/download", "abc", 1000, part, "tok", bytes -> {
        });

        assertThat(got).isEqualTo(1001);
        assertThat(Files.size(part)).isEqualTo(1001);
    }

    @Test
    void startsAgainWhenTheServerSendsTheWholeFile(@TempDir Path dir) throws Exception {
        Path part = Files.write(dir.resolve("pkg.zip"), "stale".getBytes());
        server.enqueue(new MockResponse.Builder().code(200).body("hello world").build());

        client.download("/api/v1/updates/42/download", "abc", 11, part, "tok", bytes -> {
        });

        assertThat(Files.readString(part)).isEqualTo("hello world");
    }

    @Test
    void neverSendsTheTokenToAnotherHost(@TempDir Path dir) throws Exception {
        try (MockWebServer cdn = new MockWebServer()) {
            cdn.start();
            cdn.enqueue(new MockResponse.Builder().code(200).body("zip").build());
            String elsewhere = cdn.url("/packages/v1.2.3.zip").toString().replace("127.0.0.1", "localhost");

            client.download(elsewhere, "abc", 3, dir.resolve("pkg.zip"), "tok", bytes -> {
            });

            assertThat(cdn.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("X-API-Key")).isNull();
        }
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json").body(body).build();
    }
}
