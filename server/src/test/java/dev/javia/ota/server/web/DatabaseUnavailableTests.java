package dev.javia.ota.server.web;

import org.hibernate.TransactionException;
import org.hibernate.exception.JDBCConnectionException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.orm.jpa.JpaSystemException;
import org.springframework.transaction.CannotCreateTransactionException;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import static org.assertj.core.api.Assertions.assertThat;

/** Which failures are "the database is gone", however deep the frameworks wrap them, and the answer they get. */
class DatabaseUnavailableTests {

    @Test
    void aLostOrRefusedConnectionIsAnOutageWhereverItIsWrapped() {
        assertThat(DatabaseUnavailable.is(new CannotGetJdbcConnectionException("Failed to obtain JDBC Connection",
                new SQLTransientConnectionException("HikariPool-1 - Connection is not available, request timed out"
                        + " after 2000ms.")))).isTrue();
        assertThat(DatabaseUnavailable.is(new CannotCreateTransactionException("Could not open JPA EntityManager",
                new JDBCConnectionException("unable to obtain isolated JDBC connection",
                        new SQLException("Connection to 127.0.0.1:5432 refused", "08001"))))).isTrue();
        assertThat(DatabaseUnavailable.is(new JpaSystemException(new RuntimeException(
                new SQLException("An I/O error occurred while sending to the backend", "08006"))))).isTrue();
    }

    @Test
    void aRollbackOnAConnectionThePoolClosedAsBrokenIsAnOutage() {
        // PostgreSQL stopped in the middle of a write: the rollback's failure is what Spring throws
        assertThat(DatabaseUnavailable.is(new JpaSystemException(new TransactionException(
                "Unable to rollback against JDBC Connection", new SQLException("Connection is closed"))))).isTrue();
        assertThat(DatabaseUnavailable.is(new JpaSystemException(new RuntimeException(
                new SQLException("syntax error at or near \"selct\"", "42601"))))).isFalse();
    }

    @Test
    void postgresqlShuttingDownStartingUpOrOutOfResourcesIsAnOutage() {
        for (String state : new String[] {"57P01", "57P02", "57P03", "53300", "53100", "57014"}) {
            assertThat(DatabaseUnavailable.is(new DataAccessResourceFailureException("x", new SQLException("x", state))))
                    .as(state).isTrue();
        }
        assertThat(DatabaseUnavailable.is(new QueryTimeoutException("statement timed out"))).isTrue();
        assertThat(DatabaseUnavailable.is(new DataAccessResourceFailureException("no SQL error below"))).isTrue();
    }

    @Test
    void errorsTheSameRequestWouldMeetAgainAreNotOutages() {
        assertThat(DatabaseUnavailable.is(new DataIntegrityViolationException("duplicate",
                new SQLException("duplicate key value violates unique constraint", "23505")))).isFalse();
        assertThat(DatabaseUnavailable.is(new CannotAcquireLockException("serialization",
                new SQLException("could not serialize access", "40001")))).isFalse();
        assertThat(DatabaseUnavailable.is(new DataAccessResourceFailureException("Spring files 54 here too",
                new SQLException("index row size exceeds maximum", "54000")))).isFalse();
        assertThat(DatabaseUnavailable.is(new IllegalStateException("a bug"))).isFalse();
        assertThat(DatabaseUnavailable.is(null)).isFalse();
    }

    @Test
    void aCauseChainThatLoopsEnds() {
        RuntimeException a = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b);

        assertThat(DatabaseUnavailable.is(a)).isFalse();
    }

    @Test
    void theAnswerIs503WithRetryAfterAndASentence() {
        ResponseEntity<Object> response = DatabaseUnavailable.response();

        assertThat(response.getStatusCode().value()).isEqualTo(503);
        assertThat(response.getHeaders().getFirst("Retry-After")).isEqualTo("10");
        assertThat(DatabaseUnavailable.problem().getDetail())
                .isEqualTo("the database is not answering; nothing was changed: retry after 10 s");
        assertThat(DatabaseUnavailable.problem().getTitle()).isEqualTo("Service Unavailable");
    }
}
