package dev.javia.ota.server.web;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.OtaProperties;
import dev.javia.ota.server.dashboard.DashboardPaths;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterProperties;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Bounds request bodies before anything parses them (of POST, PUT and PATCH: the methods whose bodies routes read;
 * a body sent with another is never read). Every body but a package upload is a small JSON document:
 * one longer than {@code OTA_MAX_JSON_BODY} is refused with 413, at once when its Content-Length says so, else as
 * soon as the count passes the limit. Multipart bodies are taken only by the upload, which has its own limit
 * ({@code OTA_MAX_PACKAGE_SIZE}) and the dashboard's scheduling form; a form is taken only by the dashboard's pages
 * (within the same limit); a Content-Type that is not one media type is refused with 415. Runs after Spring
 * Security, so a caller without a key learns nothing here.
 */
@Component
@Order(SecurityFilterProperties.DEFAULT_FILTER_ORDER + 10)
class BodyLimit extends OncePerRequestFilter {

    private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");
    /** The uploads of a package: the API's and the dashboard's scheduling form's. */
    private static final Set<String> UPLOADS = Set.of(ApiPaths.CREATE_UPDATE, DashboardPaths.NEW_ROLLOUT);

    private final long maxBytes;

    BodyLimit(OtaProperties properties) {
        this.maxBytes = properties.maxJsonBody().toBytes();
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        // no route reads the body of another method: nothing here reads it either, and it is never swallowed
        return !BODY_METHODS.contains(request.getMethod());
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String contentType = request.getContentType();
        if (contentType != null) {
            MediaType type;
            try {
                type = MediaType.parseMediaType(contentType);
            } catch (InvalidMediaTypeException e) {
                refuse(request, response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "the Content-Type '"
                        + UnreadableBodies.shown(contentType) + "' is not a media type: send application/json");
                return;
            }
            if (type.isWildcardType() || type.isWildcardSubtype()) {
                refuse(request, response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "the Content-Type of a body must say"
                        + " what it is, not '" + UnreadableBodies.shown(contentType) + "': send application/json");
                return;
            }
            boolean page = !DashboardPaths.isApi(request.getRequestURI().substring(request.getContextPath().length()));
            if (MediaType.APPLICATION_FORM_URLENCODED.includes(type) && !page) {
                // no API route takes a form, and a form body is parsed as parameters by whoever asks for one first
                refuse(request, response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "no endpoint takes a form"
                        + " (application/x-www-form-urlencoded): send this body as application/json");
                return;
            }
            if (MediaType.MULTIPART_FORM_DATA.includes(type)) {
                if ("POST".equals(request.getMethod()) && UPLOADS.contains(request.getRequestURI())) {
                    chain.doFilter(request, response);
                } else {
                    refuse(request, response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "only POST "
                            + ApiPaths.CREATE_UPDATE + " takes multipart/form-data: send this body as application/json");
                }
                return;
            }
        }
        if (request.getContentLengthLong() > maxBytes) {
            refuse(request, response, HttpStatus.PAYLOAD_TOO_LARGE, tooLarge());
            return;
        }
        chain.doFilter(new Bounded(request, maxBytes, tooLarge()), response);
    }

    private String tooLarge() {
        return "the body is larger than the " + maxBytes / 1024 + " KiB this endpoint takes (OTA_MAX_JSON_BODY):"
                + " send only the documented fields";
    }

    private static void refuse(HttpServletRequest request, HttpServletResponse response, HttpStatus status,
            String detail) throws IOException {
        // the body is not read: close the connection rather than read what is left of it
        response.setHeader("Connection", "close");
        Problems.write(response, status, detail, request.getRequestURI());
    }

    /** Thrown by a body that passes the limit while it is read; the advice answers it 413. */
    static final class TooLarge extends IOException {

        TooLarge(String detail) {
            super(detail);
        }
    }

    /** A request whose body stops with {@link TooLarge} past the limit. */
    private static final class Bounded extends HttpServletRequestWrapper {

        private final long limit;
        private final String detail;
        private ServletInputStream stream;

        Bounded(HttpServletRequest request, long limit, String detail) {
            super(request);
            this.limit = limit;
            this.detail = detail;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                stream = new Counting(super.getInputStream(), limit, detail);
            }
            return stream;
        }

        @Override
        public BufferedReader getReader() throws IOException {
            String encoding = getCharacterEncoding();
            Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
            return new BufferedReader(new InputStreamReader(getInputStream(), charset));
        }
    }

    private static final class Counting extends ServletInputStream {

        private final ServletInputStream in;
        private final long limit;
        private final String detail;
        private long count;

        Counting(ServletInputStream in, long limit, String detail) {
            this.in = in;
            this.limit = limit;
            this.detail = detail;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, (int) Math.min(length, limit - count + 1));
            if (n > 0) {
                counted(n);
            }
            return n;
        }

        private void counted(int n) throws TooLarge {
            count += n;
            if (count > limit) {
                throw new TooLarge(detail);
            }
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
