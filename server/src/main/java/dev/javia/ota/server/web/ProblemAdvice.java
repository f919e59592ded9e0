package dev.javia.ota.server.web;

import dev.javia.ota.server.OtaProperties;
import org.apache.tomcat.util.http.InvalidParameterException;
import jakarta.persistence.PersistenceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.transaction.TransactionException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.multipart.support.MissingServletRequestPartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.util.unit.DataSize;

import java.sql.SQLException;

/**
 * Every error the API answers is a problem detail with a sentence that says what to fix. The sentences are this
 * server's own: never an exception's message, which would show a library's internals.
 */
@RestControllerAdvice
class ProblemAdvice extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemAdvice.class);

    private final DataSize maxPackageSize;

    ProblemAdvice(OtaProperties properties) {
        this.maxPackageSize = properties.maxPackageSize();
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        BodyLimit.TooLarge tooLarge = NestedExceptionUtils.getRootCause(ex) instanceof BodyLimit.TooLarge t ? t : null;
        if (tooLarge != null) {
            return problem(HttpStatus.PAYLOAD_TOO_LARGE, tooLarge.getMessage());
        }
        return problem(HttpStatus.BAD_REQUEST, UnreadableBodies.explain(ex));
    }

    @Override
    protected ResponseEntity<Object> handleHttpMediaTypeNotSupported(HttpMediaTypeNotSupportedException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        String sent = ex.getContentType() == null ? "no Content-Type" : "Content-Type " + ex.getContentType();
        String wanted = ex.getSupportedMediaTypes().isEmpty() ? "application/json"
                : ex.getSupportedMediaTypes().get(0).toString();
        return problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "this endpoint does not take a body with " + sent
                + ": send it as " + wanted);
    }

    @Override
    protected ResponseEntity<Object> handleMissingServletRequestParameter(MissingServletRequestParameterException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        return problem(HttpStatus.BAD_REQUEST, "the parameter '" + ex.getParameterName() + "' is required");
    }

    @Override
    protected ResponseEntity<Object> handleMissingServletRequestPart(MissingServletRequestPartException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        return problem(HttpStatus.BAD_REQUEST, "the form part '" + ex.getRequestPartName() + "' is required");
    }

    @Override
    protected ResponseEntity<Object> handleMaxUploadSizeExceededException(MaxUploadSizeExceededException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        return problem(HttpStatus.PAYLOAD_TOO_LARGE, tooLarge(maxPackageSize));
    }

    /** What an upload over the package limit is told, wherever it is refused (here, or {@link ErrorEndpoint}). */
    static String tooLarge(DataSize maxPackageSize) {
        return "the package is larger than the server's limit of " + readable(maxPackageSize)
                + " (OTA_MAX_PACKAGE_SIZE): make it smaller or raise the limit";
    }

    /** Whatever else Spring MVC refuses itself (404, 405, 406, ...): its status, and this server's sentence for it. */
    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
            HttpStatusCode statusCode, WebRequest request) {
        ResponseEntity<Object> answer = super.handleExceptionInternal(ex, body, headers, statusCode, request);
        if (answer != null && answer.getBody() instanceof ProblemDetail problem && !(ex instanceof ApiException)) {
            problem.setDetail(Problems.sentence(statusCode.value()));
        }
        return answer;
    }

    @Override
    protected ResponseEntity<Object> handleHttpRequestMethodNotSupported(HttpRequestMethodNotSupportedException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        String allowed = ex.getSupportedMethods() == null ? "" : String.join(", ", ex.getSupportedMethods());
        ResponseEntity<Object> answer = problem(HttpStatus.METHOD_NOT_ALLOWED, allowed.isEmpty()
                ? Problems.sentence(405)
                : "this endpoint takes " + allowed + ", not " + ex.getMethod() + ": see the API document at /v3/api-docs");
        return ResponseEntity.status(answer.getStatusCode()).headers(headers).body(answer.getBody());
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<Object> typeMismatch(MethodArgumentTypeMismatchException ex) {
        String expected = UnreadableBodies.kindOf(ex.getRequiredType());
        return problem(HttpStatus.BAD_REQUEST, "'" + ex.getName() + "' must be " + expected + ", not '"
                + UnreadableBodies.shown(ex.getValue()) + "'");
    }

    /**
     * A query parameter whose percent-escapes are not UTF-8 (Tomcat refuses to decode it), or whose name Spring
     * Security's firewall refuses when a handler asks for the parameters.
     */
    @ExceptionHandler({InvalidParameterException.class, RequestRejectedException.class})
    ResponseEntity<Object> undecodableParameter(RuntimeException ex) {
        return problem(HttpStatus.BAD_REQUEST, "a parameter is not valid percent-encoded UTF-8: encode each value"
                + " as UTF-8, then percent-encode it");
    }

    @ExceptionHandler(MultipartException.class)
    ResponseEntity<Object> multipart(MultipartException ex) {
        return problem(HttpStatus.BAD_REQUEST, "the upload is not a readable multipart/form-data request: send the"
                + " package as a form part named 'package' with the fields version and update_type"
                + " (create_update.sh does)");
    }

    /**
     * A write the database refused. A unique or foreign-key violation is another request that wrote the same thing
     * at the same moment (two registrations of one device): 409, send it again. A value the database cannot hold at
     * all (a data exception, SQLSTATE class 22) is the request's own fault: 400.
     */
    @ExceptionHandler(DataIntegrityViolationException.class)
    ResponseEntity<Object> refusedWrite(DataIntegrityViolationException ex) {
        String state = NestedExceptionUtils.getMostSpecificCause(ex) instanceof SQLException sql ? sql.getSQLState()
                : null;
        if (state != null && state.startsWith("22")) {
            log.info("refused a value the database cannot store sqlstate={}", state);
            return problem(HttpStatus.BAD_REQUEST, "a value in the request cannot be stored (a character or a number"
                    + " the database does not take): check the text fields for NUL characters and the numbers for"
                    + " their range");
        }
        log.warn("refused a write that conflicts with stored data: {}", NestedExceptionUtils.getMostSpecificCause(ex)
                .getMessage());
        return problem(HttpStatus.CONFLICT, "the request conflicts with data written at the same moment by another"
                + " request; nothing was changed: send it again");
    }

    /**
     * The database is gone or not answering: 503 with Retry-After, so that devices come back later. Logged at debug
     * only: the outage itself is logged once, when the server notices it (persistence/DatabaseAvailability).
     */
    @ExceptionHandler({DataAccessException.class, TransactionException.class, PersistenceException.class,
            SQLException.class})
    ResponseEntity<Object> databaseUnavailable(Exception ex) {
        if (!DatabaseUnavailable.is(ex)) {
            return unexpected(ex);
        }
        log.debug("answered 503, database unavailable: {}", DatabaseUnavailable.describe(ex));
        return DatabaseUnavailable.response();
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Object> unexpected(Exception ex) {
        if (DatabaseUnavailable.is(ex)) {
            return DatabaseUnavailable.response();
        }
        log.error("unexpected error", ex);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, Problems.sentence(500));
    }

    private static String readable(DataSize size) {
        return size.toMegabytes() > 0 ? size.toMegabytes() + " MB" : size.toKilobytes() + " KB";
    }

    private static ResponseEntity<Object> problem(HttpStatus status, String detail) {
        return ResponseEntity.status(status).body(Problems.of(status, detail));
    }
}
