package dev.javia.ota.server.testing;

import dev.javia.ota.protocol.api.ApiPaths;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** A plain HTTP client for tests: real requests over loopback, raw status, headers and body back. */
public final class HttpApi {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String baseUrl;
    private final Duration timeout;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public HttpApi(String baseUrl) {
        this(baseUrl, Duration.ofSeconds(30));
    }

    /** A client that gives up on an answer after {@code timeout} (an {@link UncheckedIOException}). */
    public HttpApi(String baseUrl, Duration timeout) {
        this.baseUrl = baseUrl;
        this.timeout = timeout;
    }

    public Response get(String path, String key, String... headers) {
        return send(request(path, key, headers).GET());
    }

    public Response post(String path, String key, Object body) {
        return send(request(path, key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json(body))));
    }

    public Response patch(String path, String key, Object body) {
        return send(request(path, key).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json(body))));
    }

    public Response delete(String path, String key) {
        return send(request(path, key).DELETE());
    }

    /** A multipart/form-data POST: text fields, and files given as Paths. */
    public Response multipart(String path, String key, Map<String, Object> parts) {
        String boundary = "----ota-test-" + UUID.randomUUID();
        return send(request(path, key).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipartBody(boundary, parts))));
    }

    /** The body of a multipart/form-data request: text fields, and files given as Paths. */
    public static byte[] multipartBody(String boundary, Map<String, Object> parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try {
            for (Map.Entry<String, Object> part : parts.entrySet()) {
                body.write(("--" + boundary + "\r\n").getBytes(StandardCharsets.UTF_8));
                if (part.getValue() instanceof Path file) {
                    body.write(("Content-Disposition: form-data; name=\"" + part.getKey() + "\"; filename=\""
                            + file.getFileName() + "\"\r\nContent-Type: application/zip\r\n\r\n")
                            .getBytes(StandardCharsets.UTF_8));
                    body.write(Files.readAllBytes(file));
                } else {
                    body.write(("Content-Disposition: form-data; name=\"" + part.getKey() + "\"\r\n\r\n"
                            + part.getValue()).getBytes(StandardCharsets.UTF_8));
                }
                body.write("\r\n".getBytes(StandardCharsets.UTF_8));
            }
            body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return body.toByteArray();
    }

    /** Sends a raw body, e.g. malformed JSON. */
    public Response raw(String method, String path, String key, String contentType, String body) {
        return send(request(path, key).header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofString(body)));
    }

    /** Registers a device with the given key and answers its token. */
    public String register(String enrollmentKey, String deviceUuid, String timezone, String version) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("device_uuid", deviceUuid);
        body.put("timezone", timezone);
        if (version != null) {
            body.put("current_version", version);
        }
        Response response = post(ApiPaths.REGISTER, enrollmentKey, body);
        if (response.status() != 201) {
            throw new IllegalStateException("registration failed: " + response);
        }
        return response.json().get("device_token").asText();
    }

    private HttpRequest.Builder request(String path, String key, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout);
        if (key != null) {
            builder.header(ApiPaths.API_KEY_HEADER, key);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return builder;
    }

    private Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(), response.headers().map(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String json(Object body) {
        return body instanceof String text ? text : JSON.writeValueAsString(body);
    }

    /** One answer. */
    public record Response(int status, Map<String, java.util.List<String>> headers, byte[] bytes) {

        public String body() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            return JSON.readTree(bytes);
        }

        public <T> T as(Class<T> type) {
            return JSON.readValue(bytes, type);
        }

        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }

        @Override
        public String toString() {
            return status + " " + body();
        }
    }
}
