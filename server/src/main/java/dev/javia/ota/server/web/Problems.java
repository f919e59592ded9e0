package dev.javia.ota.server.web;

import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;

/**
 * RFC 9457 problem details, the one shape of every error this server answers. Most come out of Spring MVC
 * ({@link ProblemAdvice}); this class writes the same body where MVC is not involved: Spring Security's refusals,
 * the firewall, the {@code /error} page and Tomcat's own refusals. The {@code type} is left out, which RFC 9457
 * reads as {@code about:blank}: the status and the sentence in {@code detail} say everything.
 */
public final class Problems {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Problems() {
    }

    /**
     * What to tell a caller for a status when nothing more specific is known (Tomcat's refusals, the error page):
     * what went wrong and what to do, never what the server's internals said.
     */
    public static String sentence(int status) {
        return switch (status) {
            case 400 -> "the request could not be read: its path, query, headers or body are malformed (for example an"
                    + " encoded '/', a '\\', invalid UTF-8, or a header line that is not 'Name: value'); send a plain"
                    + " HTTP/1.1 request as the API document at /v3/api-docs describes";
            case 401 -> "this endpoint needs an X-API-Key header";
            case 403 -> "this key may not call this endpoint";
            case 404 -> "there is no endpoint at this path: see the API document at /v3/api-docs";
            case 405 -> "this endpoint does not take this method: see the API document at /v3/api-docs for the methods"
                    + " each path takes";
            case 406 -> "this endpoint cannot answer in the media type the Accept header asks for: accept"
                    + " application/json (and application/problem+json for errors)";
            case 408 -> "the request took too long to arrive: send it again, at once and whole";
            case 411 -> "this request needs a Content-Length header";
            case 413 -> "the request is larger than this server takes";
            case 414 -> "the request's URI is too long: the API's paths and parameters are short";
            case 415 -> "this endpoint does not take a body of this Content-Type: see the API document at /v3/api-docs";
            case 417 -> "the Expect header cannot be met: send the request without it";
            case 431 -> "the request's headers are too large: send only the headers the API needs";
            case 501 -> "the server does not implement this method";
            case 503 -> "the server cannot answer right now: retry in a few seconds";
            default -> status >= 500
                    ? "the server failed unexpectedly; its log has the details, nothing was changed by this request"
                    : "the request was refused (HTTP " + status + "): see the API document at /v3/api-docs";
        };
    }

    public static ProblemDetail of(HttpStatus status, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(status.getReasonPhrase());
        return problem;
    }

    /**
     * Writes a problem detail as the whole response. {@code instance} is the request's path, left out when it is
     * not plain printable ASCII (a refused request's path is not echoed as it came).
     */
    public static void write(HttpServletResponse response, HttpStatus status, String detail, String instance)
            throws IOException {
        byte[] body = bytes(status, detail, instance);
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(body.length);
        // written, not closed: the response stays open for what the container adds (Connection: close)
        response.getOutputStream().write(body);
    }

    /** The body {@link #write} writes, for writers that cannot take a servlet response (Tomcat's valve). */
    public static byte[] bytes(HttpStatus status, String detail, String instance) {
        return JSON.writeValueAsBytes(body(status, detail, instance));
    }

    private static Map<String, Object> body(HttpStatus status, String detail, String instance) {
        // the order Spring MVC writes problem details in (Jackson 3 sorts properties), so that every error looks alike
        Map<String, Object> body = new TreeMap<>();
        body.put("title", status.getReasonPhrase());
        body.put("status", status.value());
        body.put("detail", detail);
        URI uri = instance(instance);
        if (uri != null) {
            body.put("instance", uri.toString());
        }
        return body;
    }

    /** A request path as a problem's {@code instance}, or null when it is not plain printable ASCII. */
    public static URI instance(String path) {
        return path != null && printableAscii(path) ? URI.create(path) : null;
    }

    private static boolean printableAscii(String text) {
        if (text.isEmpty() || text.length() > 2048) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>') {
                return false;
            }
        }
        try {
            URI.create(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
