package dev.javia.ota.server.web;

import dev.javia.ota.server.dashboard.ErrorPages;
import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import dev.javia.ota.server.OtaProperties;
import org.apache.tomcat.util.http.InvalidParameterException;
import org.apache.tomcat.util.http.fileupload.impl.SizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.util.unit.DataSize;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;

/**
 * The servlet container's error page ({@code /error}), for errors that happen outside Spring MVC's handlers: a
 * filter that failed (a token looked up while the database is gone: 503), a method Tomcat refused, a status set
 * without a body. It answers the same problem details as {@link ProblemAdvice}, with a sentence for the status and
 * never the exception's own message. The dashboard's paths get its HTML error page instead.
 */
@Hidden
@RestController
class ErrorEndpoint implements ErrorController {

    private static final Logger log = LoggerFactory.getLogger(ErrorEndpoint.class);

    private final DataSize maxPackageSize;
    private final ErrorPages pages;

    ErrorEndpoint(OtaProperties properties, ErrorPages pages) {
        this.maxPackageSize = properties.maxPackageSize();
        this.pages = pages;
    }

    /**
     * Written by hand, not through MVC's content negotiation: an error page must answer whatever Accept says. An
     * error on one of the dashboard's paths is the dashboard's page ({@link ErrorPages}), with the same status.
     */
    @RequestMapping("/error")
    void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        Throwable failure = (Throwable) request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
        String path = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String uri ? uri : null;
        boolean page = path != null && ErrorPages.isDashboard(request, path);
        if (failure != null && DatabaseUnavailable.is(failure)) {
            // a token looked up by Spring Security while the database is gone: not a bad key, not a bug
            response.setHeader(HttpHeaders.RETRY_AFTER, DatabaseUnavailable.retryAfter());
            answer(request, response, page, HttpStatus.SERVICE_UNAVAILABLE, DatabaseUnavailable.problem().getDetail(),
                    path);
            return;
        }
        if (failure instanceof InvalidParameterException && overTheLimit(failure)) {
            // the dashboard's upload (multipart parsed when its CSRF token is read) over OTA_MAX_PACKAGE_SIZE
            answer(request, response, page, HttpStatus.PAYLOAD_TOO_LARGE, ProblemAdvice.tooLarge(maxPackageSize), path);
            return;
        }
        if (failure instanceof RequestRejectedException || failure instanceof InvalidParameterException) {
            // a parameter Spring Security's firewall or Tomcat refused when something asked for it
            answer(request, response, page, HttpStatus.BAD_REQUEST, "a parameter's name or value is not printable"
                    + " UTF-8: send the parameters the API document at /v3/api-docs lists", path);
            return;
        }
        HttpStatus status = code instanceof Integer value && HttpStatus.resolve(value) != null
                ? HttpStatus.valueOf(value) : HttpStatus.NOT_FOUND;
        if (failure != null && status.is5xxServerError()) {
            log.error("unexpected error path={}", path, failure);
        }
        answer(request, response, page, status, Problems.sentence(status.value()), path);
    }

    /** The problem detail, or for a page's path the dashboard's page with the status's sentence for people. */
    private void answer(HttpServletRequest request, HttpServletResponse response, boolean page, HttpStatus status,
            String detail, String path) throws IOException {
        if (page) {
            // the limit's sentence says what to do on a page too; the others name the API's document
            pages.render(request, response, status.value(), status == HttpStatus.PAYLOAD_TOO_LARGE ? detail
                    : ErrorPages.sentence(status.value()));
        } else {
            Problems.write(response, status, detail, path);
        }
    }

    /** Whether a multipart body was refused for its size (Tomcat's parse, when a filter first asked for a parameter). */
    private static boolean overTheLimit(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SizeException) {
                return true;
            }
        }
        return false;
    }
}
