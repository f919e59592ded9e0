package dev.javia.ota.server.web;

import dev.javia.ota.server.OtaProperties;
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
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.ValueInstantiationException;

import java.sql.SQLException;

/** Every error the API answers is a problem detail with a sentence that says what to fix. */
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
        return problem(HttpStatus.BAD_REQUEST, unreadableBody(ex));
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
        return problem(HttpStatus.PAYLOAD_TOO_LARGE, "the package is larger than the server's limit of "
                + readable(maxPackageSize) + " (OTA_MAX_PACKAGE_SIZE): make it smaller or raise the limit");
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<Object> typeMismatch(MethodArgumentTypeMismatchException ex) {
        String expected = ex.getRequiredType() == null ? "a valid value" : "a " + ex.getRequiredType().getSimpleName();
        return problem(HttpStatus.BAD_REQUEST,
                "'" + ex.getValue() + "' is not " + expected + " (in '" + ex.getName() + "')");
    }

    @ExceptionHandler(MultipartException.class)
    ResponseEntity<Object> multipart(MultipartException ex) {
        return problem(HttpStatus.BAD_REQUEST, "the upload is not a readable multipart/form-data request: "
                + NestedExceptionUtils.getMostSpecificCause(ex).getMessage());
    }

    /** Two requests wrote the same thing at the same moment (two registrations of one device, say). */
    @ExceptionHandler(DataIntegrityViolationException.class)
    ResponseEntity<Object> concurrentWrite(DataIntegrityViolationException ex) {
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
        log.error("unexpected error", ex);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR,
                "the server failed unexpectedly; its log has the details, nothing was changed by this request");
    }

    private static String readable(DataSize size) {
        return size.toMegabytes() > 0 ? size.toMegabytes() + " MB" : size.toKilobytes() + " KB";
    }

    private static String unreadableBody(HttpMessageNotReadableException ex) {
        Throwable cause = ex.getCause();
        if (cause instanceof ValueInstantiationException vie && vie.getCause() != null) {
            return vie.getCause().getMessage();
        }
        if (cause instanceof InvalidFormatException ife) {
            Throwable root = NestedExceptionUtils.getMostSpecificCause(ife);
            String field = ife.getPathReference();
            return (root != ife ? root.getMessage() : "'" + ife.getValue() + "' is not valid") + " (at " + field + ")";
        }
        if (cause instanceof MismatchedInputException mie) {
            return "the body does not have the expected shape at " + mie.getPathReference()
                    + ": send a JSON object with the documented fields";
        }
        if (cause != null) {
            return "the body is not valid JSON: " + firstLine(cause.getMessage());
        }
        return "the request needs a JSON body";
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static ResponseEntity<Object> problem(HttpStatus status, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(status.getReasonPhrase());
        return ResponseEntity.status(status).body(problem);
    }
}
