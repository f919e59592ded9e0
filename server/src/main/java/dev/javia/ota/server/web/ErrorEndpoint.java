package dev.javia.ota.server.web;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

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

    @RequestMapping(path = "/error", produces = {MediaType.APPLICATION_PROBLEM_JSON_VALUE,
            MediaType.APPLICATION_JSON_VALUE, MediaType.ALL_VALUE})
    ResponseEntity<?> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        Throwable failure = (Throwable) request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
        if (failure != null && DatabaseUnavailable.is(failure)) {
            // a token looked up by Spring Security while the database is gone: not a bad key, not a bug
            return DatabaseUnavailable.response();
        }
        HttpStatus status = code instanceof Integer value && HttpStatus.resolve(value) != null
                ? HttpStatus.valueOf(value) : HttpStatus.NOT_FOUND;
        if (failure != null && status.is5xxServerError()) {
            log.error("unexpected error path={}", request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI), failure);
        }
        ProblemDetail problem = Problems.of(status, Problems.sentence(status.value()));
        Object path = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        problem.setInstance(path instanceof String uri ? Problems.instance(uri) : null);
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }
}
