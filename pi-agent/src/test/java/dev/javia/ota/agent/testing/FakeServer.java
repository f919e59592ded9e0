package dev.javia.ota.agent.testing;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.DeltaOffer;
import dev.javia.ota.protocol.api.DeviceRegistration;
import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.DeviceView;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.HeartbeatReply;
import dev.javia.ota.protocol.api.RegisterDevice;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateCheck;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.Sha256;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.Buffer;
import okio.BufferedSink;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's device API on a MockWebServer, as the lead's server answers it: registration with the enrollment
 * key, device token on everything else (401 otherwise), check, download with {@code Range}, status reports with
 * 409 for refused transitions. Switches make it fail the way networks do.
 */
public final class FakeServer implements AutoCloseable {

    public static final String ENROLLMENT_KEY = "enroll-me";
    private static final Pattern DOWNLOAD = Pattern.compile("/api/v1/updates/([0-9a-f-]+)/download");
    private static final Pattern DELTA_DOWNLOAD = Pattern.compile("/api/v1/updates/([0-9a-f-]+)/deltas/([^/]+)/download");
    private static final Pattern STATUS = Pattern.compile("/api/v1/updates/([0-9a-f-]+)/status");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    public final JsonMapper json = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private final MockWebServer server = new MockWebServer();
    private final List<RecordedRequest> requests = Collections.synchronizedList(new ArrayList<>());
    private final List<StatusReport> reports = Collections.synchronizedList(new ArrayList<>());
    private final List<Heartbeat> heartbeats = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger registrations = new AtomicInteger();

    private volatile String token = "token-0";
    private volatile UpdateCheck check = new UpdateCheck(false, null, null, null, 300);
    private volatile byte[] packageBytes = new byte[0];
    private volatile byte[] deltaBytes;
    private volatile boolean down;
    private volatile Duration retryAfter;
    private volatile boolean checkInHeartbeat = true;
    private volatile Predicate<StatusReport> statusUnavailable = report -> false;
    private volatile Predicate<StatusReport> statusRefused = report -> false;
    private volatile int breakDownloadAfter = -1;
    private volatile int holdDownloadAfter = -1;
    private volatile CountDownLatch downloadHeld;
    private volatile Integer heartbeatSeconds = 300;
    private volatile Integer checkSeconds = 300;
    private volatile boolean rollbackField = true;

    public FakeServer() {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                requests.add(request);
                return answer(request);
            }
        });
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        String url = server.url("/").toString();
        return url.substring(0, url.length() - 1);
    }

    /** Serves {@code zip} as update {@code version} and offers it on the next checks. */
    public UpdateOffer offer(Path zip, String version, UpdateType type, Instant scheduledFor, List<String> packages) {
        return offer(zip, version, type, scheduledFor, packages, false);
    }

    /** Serves {@code zip} as {@code version}, offered as the operator's rollback when {@code rollback}. */
    public UpdateOffer offer(Path zip, String version, UpdateType type, Instant scheduledFor, List<String> packages,
            boolean rollback) {
        try {
            packageBytes = Files.readAllBytes(zip);
            UUID id = UUID.randomUUID();
            UpdateOffer offer = new UpdateOffer(id, version, type, "test update", ApiPaths.download(id),
                    Sha256.of(zip), packageBytes.length, !packages.isEmpty(), packages, rollback);
            offer(offer, scheduledFor);
            return offer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Serves {@code delta} as the delta from {@code baseVersion} of the update offered now, and names it in the offer
     * from the next check on (issue 18).
     */
    public DeltaOffer offerDelta(Path delta, String baseVersion, String baseManifestSha256, String manifestSha256) {
        try {
            byte[] bytes = Files.readAllBytes(delta);
            UpdateCheck current = check;
            DeltaOffer offer = new DeltaOffer(baseVersion, baseManifestSha256, manifestSha256,
                    ApiPaths.deltaDownload(current.update().id(), baseVersion), Sha256.of(bytes), bytes.length);
            deltaBytes = bytes;
            check = new UpdateCheck(current.updateAvailable(), current.update().withDelta(offer),
                    current.scheduledFor(), current.status(), current.checkIntervalSeconds(), current.windowEndsAt());
            return offer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The offer's delta from now on (null: none), as named, whatever file is served. */
    public void deltaInOffer(DeltaOffer delta) {
        UpdateCheck current = check;
        check = new UpdateCheck(current.updateAvailable(), current.update().withDelta(delta), current.scheduledFor(),
                current.status(), current.checkIntervalSeconds(), current.windowEndsAt());
    }

    /** The delta is no longer served (404), whatever the offer names. */
    public void dropDelta() {
        deltaBytes = null;
    }

    /** Requests for the package itself (not its delta). */
    public long packageDownloads() {
        return requests().stream().filter(r -> DOWNLOAD.matcher(r.getUrl().encodedPath()).matches()).count();
    }

    /** Requests for a delta. */
    public long deltaDownloads() {
        return requests().stream().filter(r -> DELTA_DOWNLOAD.matcher(r.getUrl().encodedPath()).matches()).count();
    }

    public void offer(UpdateOffer offer, Instant scheduledFor) {
        check = new UpdateCheck(offer != null, offer, scheduledFor, offer == null ? null : UpdateStatus.PENDING, 300);
    }

    /** The {@code window_ends_at} of the offer in hand from now on (none, as from an older server, by default). */
    public void windowEndsAt(Instant end) {
        UpdateCheck current = check;
        check = new UpdateCheck(current.updateAvailable(), current.update(), current.scheduledFor(), current.status(),
                current.checkIntervalSeconds(), end);
    }

    /** Whether heartbeat replies carry the update check's answer, as the real server's do (default), or not. */
    public void checkInHeartbeat(boolean included) {
        this.checkInHeartbeat = included;
    }

    /**
     * The {@code heartbeat_interval_seconds} and {@code check_interval_seconds} of the answers from now on (300 by
     * default); null leaves the field out, as an older server does.
     */
    public void intervals(Integer heartbeatSeconds, Integer checkSeconds) {
        this.heartbeatSeconds = heartbeatSeconds;
        this.checkSeconds = checkSeconds;
    }

    /** Whether offers carry {@code rollback} (default), or leave it out as a server before it does. */
    public void rollbackField(boolean sent) {
        this.rollbackField = sent;
    }

    public void down(boolean down) {
        this.down = down;
    }

    /** The Retry-After that the answers of a server that is down carry (none by default). */
    public void retryAfter(Duration retryAfter) {
        this.retryAfter = retryAfter;
    }

    public void statusUnavailableWhen(Predicate<StatusReport> when) {
        this.statusUnavailable = when;
    }

    public void statusRefusedWhen(Predicate<StatusReport> when) {
        this.statusRefused = when;
    }

    /** The next download sends this many bytes, then the connection drops. */
    public void breakNextDownloadAfter(int bytes) {
        this.breakDownloadAfter = bytes;
    }

    /**
     * The next download sends this many bytes, then waits (ten seconds at most) until the latch returned is counted
     * down, then sends the rest: a download caught in the middle, to see what the device says meanwhile.
     */
    public CountDownLatch holdNextDownloadAfter(int bytes) {
        CountDownLatch release = new CountDownLatch(1);
        downloadHeld = release;
        holdDownloadAfter = bytes;
        return release;
    }

    /** Forgets the device token, as after a server-side reset: the next call gets 401. */
    public void revokeToken() {
        token = "token-revoked-" + UUID.randomUUID();
    }

    public List<UpdateStatus> reportedStatuses() {
        return reports().stream().map(StatusReport::status).toList();
    }

    public List<StatusReport> reports() {
        synchronized (reports) {
            return List.copyOf(reports);
        }
    }

    public List<Heartbeat> heartbeats() {
        synchronized (heartbeats) {
            return List.copyOf(heartbeats);
        }
    }

    public List<RecordedRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    public int registrations() {
        return registrations.get();
    }

    private MockResponse answer(RecordedRequest request) {
        if (down) {
            MockResponse unavailable = problem(503, "Service Unavailable", "down for a test");
            Duration wait = retryAfter;
            return wait == null ? unavailable
                    : unavailable.newBuilder().setHeader("Retry-After", Long.toString(wait.toSeconds())).build();
        }
        String path = request.getUrl().encodedPath();
        String key = request.getHeaders().get(ApiPaths.API_KEY_HEADER);
        if (path.equals(ApiPaths.REGISTER) && request.getMethod().equals("POST")) {
            if (!ENROLLMENT_KEY.equals(key)) {
                return problem(401, "Unauthorized", "unknown enrollment key");
            }
            RegisterDevice body = read(request, RegisterDevice.class);
            token = "token-" + registrations.incrementAndGet();
            // the agent reads only the token; the window and the current update are the server's to fill
            DeviceView device = new DeviceView(UUID.randomUUID(), body.deviceUuid(), body.deviceName(), Instant.now(),
                    Instant.now(), body.currentVersion(), body.timezone(), DeviceStatus.ONLINE, body.metadata(), null,
                    null);
            return json(201, new DeviceRegistration(device, token));
        }
        if (!token.equals(key)) {
            return problem(401, "Unauthorized", "unknown device token");
        }
        if (path.endsWith("/heartbeat")) {
            heartbeats.add(read(request, Heartbeat.class));
            Integer seconds = heartbeatSeconds;
            ObjectNode reply = json.valueToTree(new HeartbeatReply(null, DeviceStatus.ONLINE, Instant.now(),
                    seconds == null ? 0 : seconds, null));
            reply.remove("update_check");
            if (seconds == null) {
                reply.remove("heartbeat_interval_seconds");
            }
            if (checkInHeartbeat) {
                reply.set("update_check", checkAnswer());
            }
            return json(200, reply);
        }
        if (path.endsWith("/updates/check")) {
            return json(200, checkAnswer());
        }
        Matcher download = DOWNLOAD.matcher(path);
        if (download.matches()) {
            return download(request, packageBytes);
        }
        if (DELTA_DOWNLOAD.matcher(path).matches()) {
            byte[] delta = deltaBytes;
            return delta == null ? problem(404, "Not Found", "no delta from this version") : download(request, delta);
        }
        Matcher status = STATUS.matcher(path);
        if (status.matches()) {
            StatusReport report = read(request, StatusReport.class);
            if (statusUnavailable.test(report)) {
                return problem(503, "Service Unavailable", "status endpoint down for a test");
            }
            if (statusRefused.test(report)) {
                return problem(409, "Conflict", "this update was superseded by a newer one before it started");
            }
            reports.add(report);
            UpdateCheck current = check;
            if (current.update() != null && current.update().id().toString().equals(status.group(1))) {
                boolean settled = report.status() == UpdateStatus.COMPLETED || report.status() == UpdateStatus.FAILED;
                check = settled ? new UpdateCheck(false, null, null, null, 300)
                        : new UpdateCheck(true, current.update(), current.scheduledFor(), report.status(), 300,
                                current.windowEndsAt());
            }
            return json(200, new DeviceUpdateView(UUID.randomUUID(), report.deviceUuid(),
                    UUID.fromString(status.group(1)), null, report.status(), null, null, null,
                    report.errorMessage(), null, null));
        }
        return problem(404, "Not Found", "no such path " + path);
    }

    /** The check's answer with the interval in force (or without one). */
    private ObjectNode checkAnswer() {
        UpdateCheck current = check;
        Integer seconds = checkSeconds;
        ObjectNode answer = json.valueToTree(new UpdateCheck(current.updateAvailable(), current.update(),
                current.scheduledFor(), current.status(), seconds == null ? 0 : seconds, current.windowEndsAt()));
        if (seconds == null) {
            answer.remove("check_interval_seconds");
        }
        if (!rollbackField && answer.get("update") instanceof ObjectNode update) {
            update.remove("rollback");
        }
        return answer;
    }

    private MockResponse download(RecordedRequest request, byte[] bytes) {
        int from = 0;
        String range = request.getHeaders().get("Range");
        if (range != null) {
            Matcher m = RANGE.matcher(range);
            if (m.matches()) {
                from = Integer.parseInt(m.group(1));
            }
        }
        if (from > bytes.length) {
            return new MockResponse.Builder().code(416).build();
        }
        Buffer body = new Buffer().write(bytes, from, bytes.length - from);
        MockResponse.Builder response = new MockResponse.Builder()
                .code(from > 0 ? 206 : 200)
                .setHeader("ETag", "\"" + Sha256.of(bytes) + "\"")
                .setHeader("Content-Type", "application/zip");
        if (from > 0) {
            response.setHeader("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
        }
        int hold = holdDownloadAfter;
        if (hold >= 0) {
            holdDownloadAfter = -1;
            return response.body(new HeldBody(bytes, from, Math.min(hold, bytes.length - from), downloadHeld))
                    .setHeader("Content-Length", bytes.length - from).build();
        }
        int cut = breakDownloadAfter;
        if (cut >= 0) {
            breakDownloadAfter = -1;
            // promise the whole body, send part of it, hang up: what a dropped Wi-Fi looks like
            Buffer part = new Buffer().write(bytes, from, Math.min(cut, bytes.length - from));
            return response.body(part).setHeader("Content-Length", bytes.length - from)
                    .onResponseEnd(new SocketEffect.CloseSocket(true, false, false)).build();
        }
        return response.body(body).build();
    }

    /** A body that stops after {@code hold} bytes until {@code release}, then sends the rest. */
    private record HeldBody(byte[] bytes, int from, int hold, CountDownLatch release) implements MockResponseBody {

        @Override
        public long getContentLength() {
            return bytes.length - from;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            sink.write(bytes, from, hold);
            sink.flush();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while holding the download", e);
            }
            sink.write(bytes, from + hold, bytes.length - from - hold);
        }
    }

    private <T> T read(RecordedRequest request, Class<T> type) {
        return json.readValue(request.getBody().toByteArray(), type);
    }

    private MockResponse json(int code, Object body) {
        return new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json")
                .body(json.writeValueAsString(body)).build();
    }

    private MockResponse problem(int code, String title, String detail) {
        return new MockResponse.Builder().code(code).setHeader("Content-Type", "application/problem+json")
                .body(json.writeValueAsString(Map.of("type", "about:blank", "title", title, "status", code,
                        "detail", detail))).build();
    }

    @Override
    public void close() {
        server.close();
    }
}
