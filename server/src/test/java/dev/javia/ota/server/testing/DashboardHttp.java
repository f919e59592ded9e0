package dev.javia.ota.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dashboard at the HTTP level, as a browser speaks to it but without one: sign in through the form, then pages
 * and posts with the session's cookie and CSRF token. Redirects are not followed, so that tests see them.
 */
public final class DashboardHttp {

    private static final Pattern CSRF_FIELD = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");
    private static final Pattern CSRF_META = Pattern.compile("name=\"csrf-token\" content=\"([^\"]+)\"");

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private final String baseUrl;

    public DashboardHttp(int port) {
        this.baseUrl = "http://127.0.0.1:" + port;
    }

    /** A signed-in session as a browser holds it: its cookie, the Set-Cookie that made it, the pages' CSRF token. */
    public record Session(String cookie, String setCookie, String csrf) {

        static final Session NONE = new Session("", null, null);
    }

    /** Signs in with {@code key} through the form; fails the test unless the server lets it in. */
    public Session signIn(String key) {
        HttpResponse<String> form = get("/sign-in", Session.NONE);
        Matcher token = CSRF_FIELD.matcher(form.body());
        if (!token.find()) {
            throw new AssertionError("the sign-in form carries no CSRF token: " + form.body());
        }
        String anonymous = form.headers().firstValue("Set-Cookie").map(value -> value.split(";", 2)[0]).orElse("");
        HttpResponse<String> signedIn = post("/sign-in", new Session(anonymous, null, null),
                Map.of("key", key, "_csrf", token.group(1)));
        String location = signedIn.headers().firstValue("Location").orElse("");
        if (signedIn.statusCode() != 302 || location.contains("/sign-in")) {
            throw new AssertionError("the sign-in was refused: " + signedIn.statusCode() + " " + location);
        }
        String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow(() ->
                new AssertionError("the sign-in set no cookie"));
        Session session = new Session(setCookie.split(";", 2)[0], setCookie, null);
        Matcher pageToken = CSRF_META.matcher(get("/", session).body());
        if (!pageToken.find()) {
            throw new AssertionError("the overview carries no CSRF token");
        }
        return new Session(session.cookie(), setCookie, pageToken.group(1));
    }

    public HttpResponse<String> get(String path, Session session) {
        return send(request(path, session).GET().build());
    }

    /** A form post; {@code fields} are sent as they are (add {@code _csrf} to pass the check). */
    public HttpResponse<String> post(String path, Session session, Map<String, String> fields) {
        StringBuilder body = new StringBuilder();
        fields.forEach((name, value) -> body.append(body.isEmpty() ? "" : "&").append(name).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return send(request(path, session).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build());
    }

    public HttpRequest.Builder request(String path, Session session) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path));
        if (!session.cookie().isEmpty()) {
            request.header("Cookie", session.cookie());
        }
        return request;
    }

    public HttpClient client() {
        return http;
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
