package dev.javia.ota.server.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.io.PrintWriter;

/**
 * Gives a problem detail to an error that would otherwise go out with an empty body (Actuator's 404 for an
 * unknown health group, a status set by a library without a body). It only watches whether a body was started, so
 * a download streams through untouched.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class EmptyErrorBodies extends OncePerRequestFilter {

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Watched watched = new Watched(response);
        chain.doFilter(request, watched);
        int status = watched.getStatus();
        if (status >= 400 && !watched.bodyStarted && !response.isCommitted() && !"HEAD".equals(request.getMethod())) {
            HttpStatus known = HttpStatus.resolve(status);
            if (known != null) {
                Problems.write(response, known, Problems.sentence(status), request.getRequestURI());
            }
        }
    }

    /** Notes whether anything began to write a body, or handed the error to the container's error page. */
    private static final class Watched extends HttpServletResponseWrapper {

        private boolean bodyStarted;

        Watched(HttpServletResponse response) {
            super(response);
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            bodyStarted = true;
            return super.getOutputStream();
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            bodyStarted = true;
            return super.getWriter();
        }

        @Override
        public void sendError(int sc, String msg) throws IOException {
            bodyStarted = true;
            super.sendError(sc, msg);
        }

        @Override
        public void sendError(int sc) throws IOException {
            bodyStarted = true;
            super.sendError(sc);
        }
    }
}
