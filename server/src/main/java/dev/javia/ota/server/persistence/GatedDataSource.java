package dev.javia.ota.server.persistence;

import org.springframework.jdbc.datasource.DelegatingDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The pool, behind a gate that is shut while the database is gone: a caller is refused at once with a connection
 * failure (which the error handling answers with 503 and Retry-After) instead of waiting the pool's connection
 * timeout, and the pool sees no waiters, so that it does not keep retrying with a growing backoff and hands out a
 * fresh connection as soon as the probe opens the gate again. A connection the pool cannot hand out makes the probe
 * look at once.
 */
final class GatedDataSource extends DelegatingDataSource {

    private final DatabaseAvailability availability;

    GatedDataSource(DataSource pool, DatabaseAvailability availability) {
        super(pool);
        this.availability = availability;
    }

    DatabaseAvailability availability() {
        return availability;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return through(super::getConnection);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return through(() -> super.getConnection(username, password));
    }

    private Connection through(Opening pool) throws SQLException {
        if (!availability.available()) {
            throw availability.refusal();
        }
        try {
            return pool.open();
        } catch (SQLException e) {
            availability.poolFailed();
            throw e;
        }
    }

    private interface Opening {
        Connection open() throws SQLException;
    }
}
