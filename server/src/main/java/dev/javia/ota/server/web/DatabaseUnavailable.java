package dev.javia.ota.server.web;

import org.hibernate.exception.JDBCConnectionException;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * "The database is gone or not answering", told apart from every other failure, and the answer it gets: 503 with
 * {@code Retry-After} and a problem detail that says nothing was changed. Static, so that every error path can use
 * it (the MVC advice, a servlet filter, the error controller, a background job); nothing here needs the database.
 *
 * <p>A failure counts when any exception in its cause chain is a lost or refused connection (SQLState class 08,
 * the JDBC connection exception types, the pool's timeout), PostgreSQL shutting down or starting up (57P01, 57P02,
 * 57P03), out of resources (class 53: too many connections, disk full, out of memory) or a statement cancelled by
 * its timeout (57014), and the pool's "Connection is closed" (no SQLState): a connection the pool closed as broken
 * while a transaction still held it, which is what a rollback meets when PostgreSQL went away in the middle of a
 * write (Spring then throws the rollback's failure instead of the write's). Constraint violations, serialization failures and SQL errors are not outages: the same
 * request would fail again, so they keep their own answers. Spring's own wrappers count only when no SQL error
 * deeper down says otherwise (Spring files "54: statement too complex" under resource failures too).
 */
public final class DatabaseUnavailable {

    /** How long clients are told to wait: a PostgreSQL restart or failover usually takes about this long. */
    public static final Duration RETRY_AFTER = Duration.ofSeconds(10);

    /** What Hikari's proxy of a connection it has closed throws, without an SQLState. */
    private static final String HIKARI_CLOSED = "Connection is closed";

    private static final String DETAIL = "the database is not answering; nothing was changed: retry after "
            + RETRY_AFTER.toSeconds() + " s";

    private DatabaseUnavailable() {
    }

    /** Whether {@code failure} means the database cannot be reached or cannot serve now (see the class comment). */
    public static boolean is(Throwable failure) {
        boolean wrapperSaysSo = false;
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return isOutage(sql);
            }
            wrapperSaysSo |= t instanceof DataAccessResourceFailureException
                    || t instanceof TransientDataAccessResourceException
                    || t instanceof QueryTimeoutException
                    || t instanceof JDBCConnectionException;
        }
        return wrapperSaysSo;
    }

    /** The Retry-After header's value: whole seconds. */
    public static String retryAfter() {
        return Long.toString(RETRY_AFTER.toSeconds());
    }

    /** The problem detail of the answer (503). */
    public static ProblemDetail problem() {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, DETAIL);
        problem.setTitle(HttpStatus.SERVICE_UNAVAILABLE.getReasonPhrase());
        return problem;
    }

    /** The whole answer: 503, Retry-After, the problem detail. */
    public static ResponseEntity<Object> response() {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, retryAfter())
                .body(problem());
    }

    /** One line for a log: the deepest cause's type and message (a server log line, never an answer). */
    public static String describe(Throwable failure) {
        Throwable root = NestedExceptionUtils.getMostSpecificCause(failure);
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static boolean isOutage(SQLException sql) {
        for (SQLException e = sql; e != null; e = e.getCause() instanceof SQLException next && next != e ? next : null) {
            if (e instanceof SQLTransientConnectionException || e instanceof SQLNonTransientConnectionException
                    || e instanceof SQLRecoverableException || e instanceof SQLTimeoutException) {
                return true;
            }
            String state = e.getSQLState();
            if (state == null && HIKARI_CLOSED.equals(e.getMessage())) {
                return true;
            }
            if (state != null && (state.startsWith("08") || state.startsWith("53") || state.equals("57P01")
                    || state.equals("57P02") || state.equals("57P03") || state.equals("57014"))) {
                return true;
            }
        }
        return false;
    }
}
