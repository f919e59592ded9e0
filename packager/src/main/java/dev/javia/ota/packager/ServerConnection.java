package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.ApiPaths;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;

/**
 * The HTTP both commands share: one client with explicit timeouts, the admin key on every call, JSON read leniently
 * (a newer server may add fields), and the server's problem {@code detail} and a lost connection turned into
 * sentences that say what to do. What a refusal means is the caller's to say: a 409 is a version conflict to
 * create_update and a refused transition to javia-ota.
 */
final class ServerConnection {

    static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** A parsed answer together with the server's JSON as it came, which {@code --json} prints. */
    record Answer<T>(T value, String json) {
    }

    private final ServerSettings settings;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    ServerConnection(ServerSettings settings) {
        this.settings = settings;
    }

    URI baseUrl() {
        return settings.baseUrl();
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .header(ApiPaths.API_KEY_HEADER, settings.adminKey())
                .header("Accept", "application/json, application/problem+json");
    }

    /** One exchange; a broken connection is the caller's to retry or report. */
    HttpResponse<String> exchange(HttpRequest request) throws IOException {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            throw interrupted();
        }
    }

    /** One exchange; a server that cannot be reached ends the command with {@link PackagerException#UNAVAILABLE}. */
    HttpResponse<String> send(HttpRequest request) {
        try {
            return exchange(request);
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    PackagerException keyRefused(HttpResponse<String> response) {
        return new PackagerException(PackagerException.KEY_REFUSED, "the server refused the admin key ("
                + detail(response) + "): set " + ServerSettings.ADMIN_KEY_VARIABLE + " (or admin_api_key in the config "
                + "file) to one of the server's admin keys");
    }

    PackagerException failed(HttpResponse<String> response) {
        return new PackagerException(PackagerException.UNAVAILABLE, "the server at " + baseUrl() + " failed (HTTP "
                + response.statusCode() + ": " + detail(response) + "): try again; if it keeps failing, look at the "
                + "server's log");
    }

    PackagerException unreachable(IOException e) {
        return new PackagerException(PackagerException.UNAVAILABLE, "cannot reach the server at " + baseUrl() + " ("
                + describe(e) + "): check --server / " + ServerSettings.SERVER_URL_VARIABLE + " and that the server "
                + "is running (curl " + baseUrl() + "/actuator/health)", e);
    }

    /** The problem detail's {@code detail}, else its title, else the start of the body. */
    static String detail(HttpResponse<String> response) {
        String body = response.body() == null ? "" : response.body().strip();
        try {
            JsonNode problem = JSON.readTree(body);
            for (String field : List.of("detail", "title")) {
                JsonNode value = problem.get(field);
                if (value != null && value.isString() && !value.asString().isBlank()) {
                    return value.asString();
                }
            }
        } catch (JacksonException e) {
            // not JSON: show the text itself
        }
        if (body.isEmpty()) {
            return "HTTP " + response.statusCode() + " with no explanation";
        }
        return body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }

    /** Whether the answer is the server's problem detail rather than, say, a proxy's HTML page. */
    static boolean isProblem(HttpResponse<String> response) {
        return response.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json");
    }

    static String describe(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "connection timed out";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer in time";
        }
        Throwable cause = e;
        while (cause.getCause() != null && cause.getMessage() == null) {
            cause = cause.getCause();
        }
        if (cause instanceof ConnectException || e instanceof ConnectException) {
            return "connection refused";
        }
        if (cause instanceof UnknownHostException) {
            return "unknown host " + cause.getMessage();
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }

    /** The answer as {@code type}; {@code unreadable} says what to check when it is not what the server sends. */
    <T> Answer<T> read(HttpResponse<String> response, Class<T> type, String unreadable) {
        try {
            return new Answer<>(JSON.readValue(response.body(), type), response.body());
        } catch (JacksonException e) {
            throw new PackagerException(PackagerException.UNAVAILABLE, "the answer of " + baseUrl()
                    + response.request().uri().getPath() + " could not be read (" + e.getOriginalMessage() + "): "
                    + unreadable);
        }
    }

    static PackagerException interrupted() {
        Thread.currentThread().interrupt();
        return new PackagerException(1, "interrupted");
    }
}
