package dev.javia.ota.server.audit;

import dev.javia.ota.protocol.api.AuditEntry;
import dev.javia.ota.protocol.api.AuditPage;
import dev.javia.ota.server.persistence.JsonColumn;
import dev.javia.ota.server.web.Filters;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Reads the audit log a page at a time, newest first, with the filters of {@code GET /api/v1/audit}. */
@Component
@Transactional(readOnly = true)
class AuditEntries {

    private final JdbcClient jdbc;

    AuditEntries(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Every filter that is not null must hold: {@code since} is inclusive, {@code until} exclusive. Only the filters
     * given are in the statement, so that each is planned on its own index.
     */
    AuditPage page(Filter filter, int page, int size) {
        List<String> conditions = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        condition(conditions, params, "actor = ?", filter.actor());
        condition(conditions, params, "action = ?", filter.action());
        condition(conditions, params, "target_type = ?", filter.targetType());
        condition(conditions, params, "target_id = ?", filter.targetId());
        condition(conditions, params, "at >= ?", filter.since() == null ? null : Timestamp.from(filter.since()));
        condition(conditions, params, "at < ?", filter.until() == null ? null : Timestamp.from(filter.until()));
        String where = conditions.isEmpty() ? "" : " where " + String.join(" and ", conditions);
        long total = jdbc.sql("select count(*) from audit_log" + where).params(params).query(Long.class).single();
        List<Object> pageParams = new ArrayList<>(params);
        pageParams.add(size);
        pageParams.add((long) page * size);
        List<AuditEntry> entries = jdbc.sql("""
                        select id, at, actor, address, action, target_type, target_id, details::text as details
                        from audit_log""" + where + " order by at desc, id desc limit ? offset ?")
                .params(pageParams)
                .query((rs, row) -> new AuditEntry(rs.getLong("id"), rs.getTimestamp("at").toInstant(),
                        rs.getString("actor"), rs.getString("address"), rs.getString("action"),
                        rs.getString("target_type"), rs.getString("target_id"),
                        JsonColumn.readObject(rs.getString("details"))))
                .list();
        return new AuditPage(entries, page, size, total, (int) ((total + size - 1) / size));
    }

    private static void condition(List<String> conditions, List<Object> params, String sql, Object value) {
        if (value != null) {
            conditions.add(sql);
            params.add(value);
        }
    }

    /** The filters of one read; null is no filter. */
    record Filter(String actor, String action, String targetType, String targetId, Instant since, Instant until) {

        /**
         * The filters as a query gives them ({@code GET /api/v1/audit}, the dashboard's {@code /audit}): blank is no
         * filter; a time that is not an ISO-8601 instant is a 400 that shows one.
         */
        static Filter of(String actor, String action, String targetType, String targetId, String since,
                String until) {
            return new Filter(Filters.text(actor), Filters.text(action), Filters.text(targetType),
                    Filters.text(targetId), Filters.parsed(since, instant("since")),
                    Filters.parsed(until, instant("until")));
        }

        private static Function<String, Instant> instant(String name) {
            return value -> {
                try {
                    return Instant.parse(value.trim());
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException(name + " must be an ISO-8601 instant such as"
                            + " 2026-06-15T12:00:00Z (UTC), not '" + value + "'");
                }
            };
        }
    }
}
