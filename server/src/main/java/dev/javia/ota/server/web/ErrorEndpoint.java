package dev.javia.ota.server.web;

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
 * never the exception's own message.
 */
@Hidden
@RestController
class ErrorEndpoint implements ErrorController {

    private static final Logger log = LoggerFactory.getLogger(ErrorEndpoint.class);

    private final DataSize maxPackageSize;

    ErrorEndpoint(OtaProperties properties) {
        this.maxPackageSize = properties.maxPackageSize();
    }

    /** Written by hand, not through MVC's content negotiation: an error page must answer whatever Accept says. */
    @RequestMapping("/error")
    void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        Throwable failure = (Throwable) request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
        String path = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String uri ? uri : null;
        if (failure != null && DatabaseUnavailable.is(failure)) {
            // a token looked up by Spring Security while the database is gone: not a bad key, not a bug
            response.setHeader(HttpHeaders.RETRY_AFTER, DatabaseUnavailable.retryAfter());
            Problems.write(response, HttpStatus.SERVICE_UNAVAILABLE, DatabaseUnavailable.problem().getDetail(), path);
            return;
        }
        if (failure instanceof InvalidParameterException && overTheLimit(failure)) {
            // the dashboard's upload (multipart parsed when its CSRF token is read) over OTA_MAX_PACKAGE_SIZE
            Problems.write(response, HttpStatus.PAYLOAD_TOO_LARGE, ProblemAdvice.tooLarge(maxPackageSize), path);
            return;
        }
        if (failure instanceof RequestRejectedException || failure instanceof InvalidParameterException) {
            // a parameter Spring Security's firewall or Tomcat refused when something asked for it
            Problems.write(response, HttpStatus.BAD_REQUEST, "a parameter's name or value is not printable UTF-8:"
                    + " send the parameters the API document at /v3/api-docs lists", path);
            return;
        }
        HttpStatus status = code instanceof Integer value && HttpStatus.resolve(value) != null
                ? HttpStatus.valueOf(value) : HttpStatus.NOT_FOUND;
        if (failure != null && status.is5xxServerError()) {
            log.error("unexpected error path={}", path, failure);
        }
        Problems.write(response, status, Problems.sentence(status.value()), path);
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
