package dev.javia.ota.agent.transport;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.ChallengeRequest;
import dev.javia.ota.protocol.api.DeviceChallenge;
import dev.javia.ota.protocol.api.DeviceRegistration;
import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.DeviceWake;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.HeartbeatReply;
import dev.javia.ota.protocol.api.RegisterDevice;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateCheck;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The device's side of the REST API, one method per call, over one shared okhttp client with explicit timeouts
 * (and, for origins other than the server's, its twin with the system's trust store). Redirects are followed here,
 * by hand, so that {@code X-API-Key} stays with the server's origin.
 * Each call is made once: retrying is the caller's decision (it knows whether to back off or to give up). Safe for
 * concurrent use (the loop and the heartbeat thread of a running step): okhttp clients and Jackson mappers are, and
 * this class keeps no other state.
 */
public final class ServerClient {

    private static final MediaType JSON = MediaType.get("application/json");
    static final String USER_AGENT = "javia-agent";
    static final int MAX_REDIRECTS = 5;
    /** How long a long poll may go without an answer: the server's longest hold (10 minutes) and a margin. */
    static final Duration WAIT_READ_TIMEOUT = Duration.ofMinutes(11);
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final HttpUrl base;
    /** For the server's own origin: with {@code SERVER_CA_FILE}, it trusts only that file's CAs. */
    private final OkHttpClient http;
    /**
     * For any other origin (a package store a download is sent or redirected to): the system's trust store, since
     * the server's CA need not have signed a store's certificate, and what comes from there is checked by its
     * SHA-256 from the server's offer (and its publisher signature), not by where it came from. Never carries the
     * device's key.
     */
    private final OkHttpClient foreign;
    private final ServerTrust trust;
    private final JsonMapper json;
    private final Consumer<Instant> serverDates;
    /** The server's own client with a read timeout for the long poll; it shares the other's connection pool. */
    private final OkHttpClient waiting;
    private volatile Call held;
    /** The download's bandwidth cap ({@code DOWNLOAD_MAX_KBPS}); none unless {@link #pace} sets one. */
    private volatile DownloadPace pace = DownloadPace.NONE;

    public ServerClient(URI serverUrl, Duration timeout) {
        this(serverUrl, timeout, date -> {
        });
    }

    /** @param serverDates told the {@code Date} of every answer of the server's API, as it arrives (clock trust) */
    public ServerClient(URI serverUrl, Duration timeout, Consumer<Instant> serverDates) {
        this(serverUrl, timeout, serverDates, null);
    }

    /**
     * @param serverCaFile {@code SERVER_CA_FILE}: a PEM file of the CAs the server's certificate must chain to, or
     *                     null for the system's trust store
     * @throws IllegalStateException when {@code serverCaFile} is missing, unreadable or holds no PEM certificate
     */
    public ServerClient(URI serverUrl, Duration timeout, Consumer<Instant> serverDates, Path serverCaFile) {
        this(serverUrl, clientBuilder(timeout).build(), serverDates,
                serverCaFile == null ? null : ServerTrust.load(serverCaFile));
    }

    private static OkHttpClient.Builder clientBuilder(Duration timeout) {
        return new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(Math.min(10, timeout.toSeconds())))
                .readTimeout(timeout)
                .writeTimeout(timeout)
                .retryOnConnectionFailure(true)
                // A device talks in short bursts five minutes apart: it closes its connection two seconds after a
                // burst, so the server keeps no idle connection (and no TIME_WAIT) for each of a million devices.
                .connectionPool(new ConnectionPool(1, 2, TimeUnit.SECONDS))
                .addNetworkInterceptor(ServerClient::leanHeaders);
    }

    ServerClient(URI serverUrl, OkHttpClient http) {
        this(serverUrl, http, date -> {
        });
    }

    ServerClient(URI serverUrl, OkHttpClient http, Consumer<Instant> serverDates) {
        this(serverUrl, http, serverDates, null);
    }

    private ServerClient(URI serverUrl, OkHttpClient http, Consumer<Instant> serverDates, ServerTrust trust) {
        this.serverDates = serverDates;
        String text = serverUrl.toString();
        this.base = HttpUrl.get(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.trust = trust;
        // Redirects are followed by hand (send): okhttp's own would carry X-API-Key to wherever a redirect points
        // (it drops only Authorization when the host changes).
        this.foreign = http.newBuilder().followRedirects(false).followSslRedirects(false).build();
        this.http = trust == null ? foreign
                : foreign.newBuilder().sslSocketFactory(trust.socketFactory(), trust.trustManager()).build();
        // no redirects either: a wait is answered by the server itself, and a redirect would take the token along
        this.waiting = http.newBuilder().readTimeout(WAIT_READ_TIMEOUT).build();
        // an answer without a number the agent knows (an older server's reply without an interval) reads as 0,
        // "not said", instead of failing the whole call
        this.json = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .changeDefaultPropertyInclusion(inclusion -> inclusion.withValueInclusion(JsonInclude.Include.NON_NULL))
                .build();
    }

    /**
     * A device sends a request every five minutes for years, over metered links: okhttp's defaults that change
     * nothing here go (gzip, which neither the small JSON answers nor ZIP packages gain from; "Connection:
     * Keep-Alive", HTTP/1.1's default), and the agent names itself to the server's logs.
     */
    private static Response leanHeaders(Interceptor.Chain chain) throws IOException {
        return chain.proceed(chain.request().newBuilder()
                .removeHeader("Accept-Encoding")
                .removeHeader("Connection")
                .header("User-Agent", USER_AGENT)
                .build());
    }

    public JsonMapper json() {
        return json;
    }

    /** @param enrollmentKey sent when given; a registration with a device proof needs none (token renewal) */
    public DeviceRegistration register(RegisterDevice device, String enrollmentKey) {
        return call(post(ApiPaths.REGISTER, device), enrollmentKey, DeviceRegistration.class);
    }

    /**
     * Asks for a challenge for this device to sign before it registers again, without any key (the device has
     * none the server would take: its token is what it is renewing).
     *
     * @return empty when the server has none to give: 404 (the uuid is unknown or has no key bound), or an older
     *         server's answer to a path it does not know (401 for an anonymous call under {@code /devices/}, 404,
     *         405); then the device registers with the enrollment key, as before device keys
     */
    public Optional<DeviceChallenge> challenge(String deviceUuid) {
        DeviceChallenge challenge;
        try {
            challenge = call(post(ApiPaths.CHALLENGE, new ChallengeRequest(deviceUuid)), null, DeviceChallenge.class);
        } catch (ServerRejectedException e) {
            if (e.gone() || e.unauthorized() || e.status() == 405) {
                return Optional.empty();
            }
            throw e;
        }
        if (challenge.challenge() == null || challenge.challenge().isBlank()) {
            throw new ServerUnavailableException("POST " + ApiPaths.CHALLENGE + " answered without a challenge", null);
        }
        return Optional.of(challenge);
    }

    public HeartbeatReply heartbeat(String deviceUuid, Heartbeat heartbeat, String token) {
        return call(post(ApiPaths.heartbeat(deviceUuid), heartbeat), token, HeartbeatReply.class);
    }

    public UpdateCheck check(String deviceUuid, String token) {
        return call(new Request.Builder().url(url(ApiPaths.check(deviceUuid))).get(), token, UpdateCheck.class);
    }

    /**
     * Holds the device's long poll ({@link ApiPaths#deviceWait}) on a connection of its own, for up to
     * {@link #WAIT_READ_TIMEOUT} (the server's hold is 50 s, at most 10 minutes). {@link #cancelWait} ends it at once
     * (an install begins: the agent holds no second connection while it installs), as a failure.
     */
    public DeviceWake waitForChange(String deviceUuid, String cursor, String token) {
        HttpUrl url = url(ApiPaths.deviceWait(deviceUuid)).newBuilder().addQueryParameter("cursor", cursor).build();
        Request request = new Request.Builder().url(url).get().header(ApiPaths.API_KEY_HEADER, token).build();
        String what = "GET " + url.encodedPath();
        Call call = waiting.newCall(request);
        held = call;
        try (Response response = call.execute()) {
            if (!response.isSuccessful()) {
                throw failure(response, what);
            }
            return json.readValue(response.body().bytes(), DeviceWake.class);
        } catch (IOException e) {
            throw new ServerUnavailableException(what + ": " + describe(e), e);
        } catch (JacksonException e) {
            throw new ServerUnavailableException(what + ": unreadable answer (" + e.getOriginalMessage() + ")", e);
        } finally {
            held = null;
        }
    }

    /** Ends a wait held by {@link #waitForChange}, if one is (from any thread). */
    public void cancelWait() {
        Call call = held;
        if (call != null) {
            call.cancel();
        }
    }

    public DeviceUpdateView report(UUID updateId, StatusReport report, String token) {
        return call(post(ApiPaths.updateStatus(updateId), report), token, DeviceUpdateView.class);
    }

    /**
     * Downloads {@code packageUrl} into {@code part}, resuming after what {@code part} already holds with
     * {@code Range: bytes=N-} (and {@code If-Range} on the package's ETag, its quoted SHA-256, so a changed file
     * starts again from zero; not on a store the server redirects to, whose ETags are its own). Stops one byte past {@code expectedSize}: a larger file is the verifier's to refuse.
     * A broken connection keeps what arrived, for the next attempt.
     *
     * @return the bytes now in {@code part}
     */
    public long download(String packageUrl, String sha256, long expectedSize, Path part, String token,
            LongConsumer progress) {
        HttpUrl url = resolve(packageUrl);
        long have = size(part);
        if (have > expectedSize) {
            delete(part);
            have = 0;
        }
        if (have == expectedSize && expectedSize > 0) {
            return have;
        }
        Request.Builder request = new Request.Builder().url(url).get();
        if (sameOrigin(url)) {
            // a token never travels to another host (a CDN or a presigned storage URL needs none)
            request.header(ApiPaths.API_KEY_HEADER, token);
        }
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
            if (sha256 != null) {
                request.header("If-Range", "\"" + sha256 + "\"");
            }
        }
        try (Response response = send(request.build())) {
            long start;
            if (response.code() == 206) {
                start = rangeStart(response.header("Content-Range"));
                if (start != have) {
                    delete(part);
                    throw new ServerUnavailableException("download of " + url + " resumed at byte " + start
                            + " instead of " + have + "; starting again from zero", null);
                }
            } else if (response.code() == 200) {
                start = 0;
            } else if (response.code() == 416) {
                delete(part);
                throw new ServerUnavailableException("server refused to resume " + url + " at byte " + have
                        + "; starting again from zero", null);
            } else {
                throw failure(response, "GET " + url.encodedPath());
            }
            return append(response.body(), part, start, expectedSize + 1, progress, pace);
        } catch (IOException e) {
            throw new ServerUnavailableException("download from " + url.host() + " broke off after " + size(part)
                    + " bytes: " + describe(e), e);
        }
    }

    /** Caps the bandwidth of every download from now on ({@link DownloadPace#NONE}: none). */
    public void pace(DownloadPace downloadPace) {
        this.pace = downloadPace;
    }

    /** A server-relative {@code package_url} is resolved against {@code SERVER_URL}; an absolute one is kept. */
    HttpUrl resolve(String packageUrl) {
        HttpUrl absolute = HttpUrl.parse(packageUrl);
        if (absolute != null) {
            return absolute;
        }
        HttpUrl resolved = base.resolve(packageUrl.startsWith("/") ? base.encodedPath().replaceAll("/$", "")
                + packageUrl : packageUrl);
        if (resolved == null) {
            throw new ServerRejectedException(0, "package_url '" + packageUrl + "' is not a URL or a path");
        }
        return resolved;
    }

    /**
     * Sends {@code request} and follows up to {@value #MAX_REDIRECTS} redirects by hand, as a browser would
     * (307/308 keep the method and body; 301/302/303 turn a POST into a GET). {@code X-API-Key} is dropped as soon as
     * a redirect leaves the server's origin (scheme, host and port) and is not put back, so neither the enrollment
     * key nor a device token reaches a package store, a CDN, or whoever took over a DNS name. A redirect from HTTPS
     * to HTTP is refused: the rest of the exchange would be readable and changeable on the way.
     *
     * @return the first answer that is not a redirect (or a redirect without {@code Location}), for the caller to
     *         read and close
     */
    private Response send(Request request) throws IOException {
        Request current = request;
        for (int redirects = 0; ; redirects++) {
            Response response = clientFor(current.url()).newCall(current).execute();
            int code = response.code();
            String location = response.header("Location");
            if (!REDIRECTS.contains(code) || location == null) {
                return response;
            }
            response.close();
            String what = current.method() + " " + shown(current.url());
            HttpUrl next = current.url().resolve(location);
            if (next == null) {
                throw new ServerRejectedException(code, what + " was redirected to '" + location + "', not a URL");
            }
            if (redirects >= MAX_REDIRECTS) {
                throw new ServerRejectedException(code, what + " was redirected more than " + MAX_REDIRECTS
                        + " times (last to " + shown(next) + "): check the server's or the store's redirects");
            }
            if (current.isHttps() && !next.isHttps()) {
                throw new ServerRejectedException(code, what + " was redirected from HTTPS to " + shown(next)
                        + ": refused, the download would travel unprotected; serve it over HTTPS");
            }
            Request.Builder following = current.newBuilder().url(next);
            if (!sameOrigin(next)) {
                following.removeHeader(ApiPaths.API_KEY_HEADER);
                // If-Range names the server's ETag (the package's SHA-256); another origin's ETags are its own, and
                // a store that honours If-Range would answer each resume with the whole package. The resumed bytes
                // are still checked: the package's SHA-256 is verified before anything is unpacked.
                following.removeHeader("If-Range");
            }
            boolean keepsMethod = code == 307 || code == 308 || current.method().equals("GET")
                    || current.method().equals("HEAD");
            if (!keepsMethod) {
                following.get().removeHeader("Content-Type").removeHeader("Content-Length");
            }
            current = following.build();
        }
    }

    /** {@code url} for a log line: without its query, which for a presigned store URL is a credential. */
    private static String shown(HttpUrl url) {
        return url.newBuilder().username("").password("").query(null).build().toString();
    }

    /** The server's own origin gets the client that trusts {@code SERVER_CA_FILE}; any other the system's store. */
    private OkHttpClient clientFor(HttpUrl url) {
        return sameOrigin(url) ? http : foreign;
    }

    private boolean sameOrigin(HttpUrl url) {
        return url.scheme().equals(base.scheme()) && url.host().equalsIgnoreCase(base.host())
                && url.port() == base.port();
    }

    private static long append(ResponseBody body, Path part, long start, long limit, LongConsumer progress,
            DownloadPace pace) throws IOException {
        try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             InputStream in = body.byteStream()) {
            out.truncate(start);
            out.position(start);
            long written = start;
            long reported = start;
            byte[] buffer = new byte[64 * 1024];
            int slice = pace.slice(buffer.length);
            DownloadPace.Run paced = pace.start();
            try {
                int n;
                while (written < limit && (n = in.read(buffer, 0, (int) Math.min(slice, limit - written))) > 0) {
                    ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                    while (chunk.hasRemaining()) {
                        out.write(chunk);
                    }
                    written += n;
                    // after a sleep of the cap too: the loop says it is alive however slow the cap makes it
                    if (paced.took(n) || written - reported >= 1024 * 1024) {
                        progress.accept(written);
                        reported = written;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("download interrupted after " + written + " bytes");
            } finally {
                out.force(true);
            }
            progress.accept(written);
            return written;
        }
    }

    private static long rangeStart(String contentRange) {
        Matcher m = contentRange == null ? null : CONTENT_RANGE.matcher(contentRange.strip());
        if (m == null || !m.matches()) {
            throw new ServerUnavailableException("206 answer without a usable Content-Range ('" + contentRange + "')",
                    null);
        }
        return Long.parseLong(m.group(1));
    }

    private Request.Builder post(String path, Object body) {
        return new Request.Builder().url(url(path)).post(RequestBody.create(json.writeValueAsBytes(body), JSON));
    }

    private HttpUrl url(String path) {
        return base.newBuilder().encodedPath(base.encodedPath().replaceAll("/$", "") + path).build();
    }

    /** @param key the {@code X-API-Key} to send, or null for none */
    private <T> T call(Request.Builder request, String key, Class<T> type) {
        if (key != null && !key.isBlank()) {
            request.header(ApiPaths.API_KEY_HEADER, key);
        }
        Request built = request.build();
        String what = built.method() + " " + built.url().encodedPath();
        try (Response response = send(built)) {
            // only the API's answers: a package may come from a CDN, whose clock is not the server's
            Date date = sameOrigin(response.request().url()) ? response.headers().getDate("Date") : null;
            if (date != null) {
                serverDates.accept(date.toInstant());
            }
            if (!response.isSuccessful()) {
                throw failure(response, what);
            }
            return json.readValue(response.body().bytes(), type);
        } catch (IOException e) {
            throw new ServerUnavailableException(what + ": " + describe(e), e);
        } catch (JacksonException e) {
            throw new ServerUnavailableException(what + ": unreadable answer (" + e.getOriginalMessage() + ")", e);
        }
    }

    private RuntimeException failure(Response response, String what) throws IOException {
        int code = response.code();
        String problem = problem(response);
        String message = what + " answered " + code + (problem.isEmpty() ? "" : ": " + problem);
        if (code >= 500 || code == 429 || code == 408) {
            return new ServerUnavailableException(message, null, retryAfter(response));
        }
        return new ServerRejectedException(code, message);
    }

    /**
     * The answer's {@code Retry-After}: seconds, or an HTTP date, taken relative to the answer's own {@code Date}
     * (a Pi's clock may be wrong; the server's is the one that set the date). Null when absent or unreadable.
     */
    private static Duration retryAfter(Response response) {
        String value = response.header("Retry-After");
        if (value == null || value.isBlank()) {
            return null;
        }
        if (value.strip().matches("\\d{1,9}")) {
            return Duration.ofSeconds(Long.parseLong(value.strip()));
        }
        Date until = response.headers().getDate("Retry-After");
        Date sent = response.headers().getDate("Date");
        if (until == null || sent == null || until.before(sent)) {
            return null;
        }
        return Duration.ofMillis(until.getTime() - sent.getTime());
    }

    /** {@code title: detail} of an RFC 9457 body, or the start of whatever else came back. */
    private String problem(Response response) throws IOException {
        String text = response.body().string();
        if (text.isBlank()) {
            return "";
        }
        try {
            JsonNode node = json.readTree(text);
            String title = node.path("title").asString("");
            String detail = node.path("detail").asString("");
            if (!title.isEmpty() || !detail.isEmpty()) {
                return detail.isEmpty() ? title : title.isEmpty() ? detail : title + ": " + detail;
            }
        } catch (JacksonException e) {
            // not JSON: fall through to the raw text
        }
        return text.length() > 200 ? text.substring(0, 200) + "..." : text.strip();
    }

    private String describe(IOException e) {
        String text = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
        if (!(e instanceof SSLException)) {
            return text;
        }
        return text + (trust != null
                ? " (the server's TLS certificate does not chain to a CA in SERVER_CA_FILE " + trust.file()
                        + ", or does not name " + base.host() + ")"
                : " (the system's trust store does not accept the server's TLS certificate, or it does not name "
                        + base.host() + ": set SERVER_CA_FILE to the server's CA certificate)");
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new ServerUnavailableException("cannot delete " + file + ": " + e.getMessage(), e);
        }
    }
}
