package dev.javia.ota.agent.transport;

import dev.javia.ota.agent.system.AppHealth;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code APP_HEALTH_URL}: the app's own health endpoint on the loopback interface (the configuration refuses any
 * other host). A 2xx answer is well; anything else, or no answer, is not, and the first line of the body is the
 * app's word ({@code 503 wake-word engine failed to load model}). Redirects are not followed: the answer is the
 * app's, from where it was asked. One connection, closed after each ask (it is asked a few times after an update).
 */
public final class LocalHealthEndpoint implements AppHealth {

    /** Enough for a line of words; the rest of a larger body is never read. */
    private static final long MAX_BODY = 4096;

    private final URI url;
    private final Duration timeout;
    private final OkHttpClient http;

    public LocalHealthEndpoint(URI url, Duration timeout) {
        this.url = url;
        this.timeout = timeout;
        this.http = new OkHttpClient.Builder()
                .callTimeout(timeout)
                .connectTimeout(timeout)
                .readTimeout(timeout)
                .followRedirects(false)
                .followSslRedirects(false)
                .retryOnConnectionFailure(false)
                .proxy(java.net.Proxy.NO_PROXY)
                .connectionPool(new ConnectionPool(0, 1, TimeUnit.SECONDS))
                .build();
    }

    @Override
    public Answer ask(Path release) {
        Request request = new Request.Builder().url(url.toString()).get().header("User-Agent", ServerClient.USER_AGENT)
                .build();
        try (Response response = http.newCall(request).execute()) {
            String words = firstLine(response.peekBody(MAX_BODY).string());
            if (response.isSuccessful()) {
                return Answer.well(words.isEmpty() ? "is well (" + response.code() + " on " + url + ")"
                        : "says: " + words);
            }
            return Answer.notWell(words.isEmpty()
                    ? "is not well: " + url + " answered " + response.code() + " and said nothing"
                    : "says: " + words + " (" + response.code() + " on " + url + ")");
        } catch (IOException e) {
            String why = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
            return Answer.notWell("did not answer its health endpoint " + url + " within " + timeout.toSeconds()
                    + " s (" + why + ")");
        }
    }

    private static String firstLine(String body) {
        return body.strip().lines().findFirst().orElse("").strip();
    }
}
