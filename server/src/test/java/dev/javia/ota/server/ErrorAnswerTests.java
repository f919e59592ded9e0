package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.RawHttp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Errors a careless or hostile client provokes, each a clean problem detail with a sentence for a person: never a
 * 500, never Tomcat's HTML page, never Jackson's or Java's wording, never a null member.
 */
class ErrorAnswerTests extends ApiTestSupport {

    private RawHttp raw;
    private TestDevice device;

    @BeforeEach
    void rawClient() {
        raw = new RawHttp("127.0.0.1", port);
        device = register("UTC");
    }

    @Test
    void aPageBeyondAnyFleetIsABadRequest() {
        assertProblem(api.get(ApiPaths.DEVICES + "?page=2147483647", ADMIN), 400, "page 2147483647 is beyond");
        assertProblem(api.get(ApiPaths.DEVICES + "?size=abc", ADMIN), 400, "'size' must be a whole number, not 'abc'");
    }

    @Test
    void aWildcardOrMalformedContentTypeIs415() {
        assertProblem(api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "*/*", "{}"), 415, "must say what it is");
        assertProblem(api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "application/*", "{}"), 415, "application/json");
        assertProblem(api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "not a type", "{}"), 415, "not a media type");
        assertProblem(api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "text/plain", "{}"), 415,
                "send it as application/json");
    }

    @Test
    void aQueryThatIsNotUtf8IsABadRequest() {
        assertProblem(raw.send("GET", ApiPaths.DEVICES + "?status=%ff%fe", null, ApiPaths.API_KEY_HEADER, ADMIN), 400,
                "not valid percent-encoded UTF-8");
        assertProblem(raw.send("GET", ApiPaths.DEVICES + "?status=%zz", null, ApiPaths.API_KEY_HEADER, ADMIN), 400,
                "not valid percent-encoded UTF-8");
        assertProblem(api.get(ApiPaths.DEVICES + "?status=sleeping", ADMIN), 400, "status must be one of");
    }

    @Test
    void aNulCharacterIsRefusedByNameNotAsAConflict() {
        assertProblem(api.post(ApiPaths.REGISTER, ENROLLMENT, Map.of("device_uuid", newDeviceUuid(), "timezone", "UTC",
                "device_name", "kit\u0000chen")), 400, "device_name contains a control character");
        assertProblem(api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("metadata", Map.of("model", "Pi\u00004"))), 400, "metadata contains a NUL character");
        assertThat(jdbc.queryForObject("select count(*) from devices", Integer.class)).isEqualTo(1);
    }

    @Test
    void aFailureReportWithANulIsKeptNotRefused() {
        String updateId = published("v1.1.0", "urgent");
        api.post(ApiPaths.updateStatus(updateId), device.token(), Map.of("status", "downloading"));
        HttpApi.Response answer = api.post(ApiPaths.updateStatus(updateId), device.token(),
                Map.of("status", "failed", "error_message", "pip said \u0000 and stopped"));
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        assertThat(jdbc.queryForObject("select error_message from device_updates", String.class))
                .isEqualTo("pip said \uFFFD and stopped");
    }

    @Test
    void badBodiesAreExplainedInTheApisTerms() {
        assertProblem(api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "application/json",
                "{\"device_uuid\": 5, \"timezone\": [\"UTC\"]}"), 400, "'timezone' must be a string");
        assertProblem(api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "application/json", "{\"device_uuid\":\"x"), 400,
                "the body is not valid JSON (at line 1, column");
        assertProblem(api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "application/json", "[1, 2]"), 400,
                "the body must be a JSON object");
        assertProblem(api.raw("POST", ApiPaths.heartbeat(device.uuid()), device.token(), "application/json",
                "{\"status\": \"dancing\"}"), 400, "status must be one of online | offline | updating");
        assertProblem(api.raw("POST", ApiPaths.heartbeat(device.uuid()), device.token(), "application/json",
                "{\"metadata\": \"a string\"}"), 400, "'metadata' must be a JSON object");
    }

    @Test
    void whatTomcatRefusesIsAProblemDetailToo() {
        assertProblem(raw.send("GET", "/api/v1/devices%2F", null), 400, "malformed");
        assertProblem(raw.send("GET", "/api/v1%5Cdevices/", null), 400, "malformed");
        assertProblem(raw.exchange(("GET /api/v1/devices/\u00c3\u0028 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1), false), 400, "malformed");
        assertProblem(raw.send("GET", ApiPaths.DEVICES, null, "X-Filler", "x".repeat(20_000)), 400, "headers");
        assertProblem(raw.send("TRACE", ApiPaths.DEVICES, null), 405, "does not take this method");
        assertProblem(raw.exchange("GARBAGE\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), false), 400, "malformed");
    }

    @Test
    void refusalsOfKeysAreCleanProblemDetails() {
        HttpApi.Response none = api.get(ApiPaths.DEVICES, null);
        assertProblem(none, 401, "needs an X-API-Key header");
        assertThat(none.header("WWW-Authenticate")).contains("X-API-Key");
        assertProblem(api.get(ApiPaths.DEVICES, device.token()), 403, "only its own device");
        assertProblem(api.get(ApiPaths.DEVICES, "unknown-key-unknown-key-unknown"), 401, "not a key this server knows");
    }

    @Test
    void anOversizedJsonBodyIs413BeforeItIsRead() {
        String big = "{\"metadata\": {\"junk\": \"" + "x".repeat(200_000) + "\"}}";
        assertProblem(api.raw("POST", ApiPaths.heartbeat(device.uuid()), device.token(), "application/json", big), 413,
                "larger than the 64 KiB this endpoint takes");
        // without a Content-Length (chunked), the count stops it as it passes the limit
        assertProblem(chunked(ApiPaths.heartbeat(device.uuid()), device.token(), big), 413, "larger than the 64 KiB");
        // a body within the limit still gets through
        assertThat(api.raw("POST", ApiPaths.heartbeat(device.uuid()), device.token(), "application/json",
                "{\"metadata\": {\"junk\": \"" + "x".repeat(10_000) + "\"}}").status()).isEqualTo(200);
    }

    /** Issue 11's 52 MB heartbeats: the answer comes before a byte of the body is sent, and nothing reads it. */
    @Test
    void aBodyDeclaredTooLargeIsRefusedWithoutWaitingForIt() {
        String request = "POST " + ApiPaths.heartbeat(device.uuid()) + " HTTP/1.1\r\nHost: x\r\n"
                + ApiPaths.API_KEY_HEADER + ": " + device.token() + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: 54525952\r\n\r\n";
        // the raw client reads to the end of the stream: the server closes the connection after its answer
        HttpApi.Response answer = raw.exchange(request.getBytes(StandardCharsets.ISO_8859_1), false);
        assertProblem(answer, 413, "larger than the 64 KiB");
        assertThat(answer.header("Connection")).isEqualTo("close");
    }

    /** A refusal does not read the rest of the body on a request thread: a caller without a key holds nothing. */
    @Test
    void aRefusedRequestsBodyIsNotWaitedFor() {
        String upload = "POST " + ApiPaths.CREATE_UPDATE + " HTTP/1.1\r\nHost: x\r\n"
                + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 500000000\r\n\r\n--b\r\n";
        HttpApi.Response answer = raw.exchange(upload.getBytes(StandardCharsets.ISO_8859_1), false);
        assertProblem(answer, 401, "needs an X-API-Key header");
        assertThat(answer.header("Connection")).isEqualTo("close");
    }

    /** Found by bench/fuzz.sh: a form body was parsed as parameters by whoever asked first, and failed there. */
    @Test
    void aFormBodyIs415() {
        assertProblem(api.raw("PATCH", ApiPaths.deviceStatus(device.uuid()), device.token(),
                "application/x-www-form-urlencoded", "status=%zz"), 415, "no endpoint takes a form");
        assertProblem(api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "application/x-www-form-urlencoded",
                "{\"device_name\":\"%00\"}"), 415, "no endpoint takes a form");
    }

    /** Found by bench/fuzz.sh: the error page negotiated with an Accept it could not parse, and answered nothing. */
    @Test
    void theErrorPageAnswersWhateverAcceptSays() {
        assertProblem(raw.send("TRACE", ApiPaths.REGISTER, null, "Accept", "garbage"), 405, "does not take this method");
        assertProblem(raw.send("TRACE", ApiPaths.REGISTER, null, "Accept", "text/html"), 405, "does not take");
    }

    /** A body sent with a GET is not read, not bounded and not judged: the answer is the GET's. */
    @Test
    void aBodyWithAGetIsIgnored() {
        HttpApi.Response answer = raw.send("GET", ApiPaths.device(device.uuid()), "x".repeat(100_000)
                .getBytes(StandardCharsets.UTF_8), ApiPaths.API_KEY_HEADER, device.token(), "Content-Type", "*/*");
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        assertThat(answer.header("Connection")).isEqualTo("close");
    }

    @Test
    void multipartIsTakenOnlyByTheUpload() {
        assertProblem(api.multipart(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("status", "online")), 415,
                "only POST /api/v1/updates/create takes multipart/form-data");
    }

    private HttpApi.Response chunked(String path, String key, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header(ApiPaths.API_KEY_HEADER, key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))))
                .build();
        try {
            HttpResponse<byte[]> response = HttpClient.newHttpClient().send(request,
                    HttpResponse.BodyHandlers.ofByteArray());
            return new HttpApi.Response(response.statusCode(), response.headers().map(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
