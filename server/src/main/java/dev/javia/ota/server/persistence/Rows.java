package dev.javia.ota.server.persistence;

import java.sql.ResultSet;
import java.sql.SQLException;

/** Reading columns JDBC gives awkwardly. */
public final class Rows {

    private Rows() {
    }

    /** A nullable integer column: null where JDBC's getInt says 0. */
    public static Integer integer(ResultSet rs, String column) throws SQLException {
        int value = rs.getInt(column);
        return rs.wasNull() ? null : value;
    }
}
