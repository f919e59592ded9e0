package dev.javia.ota.server.dashboard;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The overview's devices with issues: the last update failed, offline for more than a day, in an install step for
 * longer than an install may take. Each kind is read from its own index (db/migration/V14), a few rows and a count
 * that stops at {@link #COUNTED}, whatever the fleet's size.
 */
@Component
class FleetIssues {

    /** How many devices of each kind the overview names. */
    static final int SHOWN = 20;
    /** Counts stop here ("more than 1000"): a bounded read of the index, not a count of a whole failed rollout. */
    static final int COUNTED = 1000;
    static final Duration OFFLINE_FOR = Duration.ofDays(1);
    /** As long as a rollout lets an install take by default (RolloutPlan's install timeout). */
    static final Duration STUCK_AFTER = Duration.ofHours(2);

    private final JdbcClient jdbc;
    private final Clock clock;

    FleetIssues(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** One device with an issue: which, why (a sentence), since when. */
    public record Issue(String deviceUuid, String deviceName, String why, Instant since) {

        public String label() {
            return deviceName == null || deviceName.isBlank() ? deviceUuid : deviceName;
        }
    }

    /**
     * One kind of issue: the devices shown (the longest-standing or newest first), how many there are, and the devices
     * list that holds them all (null when the list has no such filter).
     */
    public record Kind(String key, String title, List<Issue> devices, long count, String list) {

        public boolean more() {
            return count > devices.size();
        }

        public String countText() {
            return count > COUNTED ? "more than " + COUNTED : Long.toString(count);
        }
    }

    private static final String LATEST_FAILED = """
            from device_updates du
            where du.status = 'failed'
              and not exists (select 1 from device_updates later where later.device_id = du.device_id
                              and later.created_at > du.created_at and later.status <> 'superseded')
            """;

    @Transactional(readOnly = true)
    List<Kind> now() {
        Instant now = clock.instant();
        Timestamp offlineBefore = Timestamp.from(now.minus(OFFLINE_FOR));
        Timestamp stuckBefore = Timestamp.from(now.minus(STUCK_AFTER));
        List<Issue> failed = jdbc.sql("""
                        select d.device_uuid, d.device_name, u.version, du.error_message, du.updated_at
                        from (select du.* %s order by du.updated_at desc limit ?) du
                        join devices d on d.id = du.device_id join updates u on u.id = du.update_id
                        order by du.updated_at desc
                        """.formatted(LATEST_FAILED))
                .param(SHOWN)
                .query((row, n) -> new Issue(row.getString("device_uuid"), row.getString("device_name"),
                        "update " + row.getString("version") + " failed: " + row.getString("error_message"),
                        instant(row, "updated_at")))
                .list();
        long failedCount = count("select 1 " + LATEST_FAILED);
        List<Issue> offline = jdbc.sql("""
                        select device_uuid, device_name, offline_since from devices
                        where status = 'offline' and offline_since < ? order by offline_since limit ?
                        """)
                .param(offlineBefore).param(SHOWN)
                .query((row, n) -> new Issue(row.getString("device_uuid"), row.getString("device_name"),
                        "offline: not heard from for " + Durations.words(Duration.between(
                                instant(row, "offline_since"), now)), instant(row, "offline_since")))
                .list();
        long offlineCount = count("select 1 from devices where status = 'offline' and offline_since < ?",
                offlineBefore);
        List<Issue> stuck = jdbc.sql("""
                        select device_uuid, device_name, update_step, update_progress, step_since from devices
                        where status = 'updating' and step_since < ? order by step_since limit ?
                        """)
                .param(stuckBefore).param(SHOWN)
                .query((row, n) -> new Issue(row.getString("device_uuid"), row.getString("device_name"),
                        "stuck: in step " + row.getString("update_step")
                                + (row.getObject("update_progress") == null ? ""
                                        : " (" + row.getInt("update_progress") + "%)")
                                + " for " + Durations.words(Duration.between(instant(row, "step_since"), now)),
                        instant(row, "step_since")))
                .list();
        long stuckCount = count("select 1 from devices where status = 'updating' and step_since < ?", stuckBefore);
        return List.of(
                new Kind("failed", "Last update failed", failed, failedCount, null),
                new Kind("offline", "Offline for more than a day", offline, offlineCount,
                        "/devices?status=offline&last_seen=over-1d&sort=last_seen"),
                new Kind("stuck", "Stuck updating (a step for more than " + STUCK_AFTER.toHours() + " hours)", stuck,
                        stuckCount, "/devices?status=updating&sort=last_seen"));
    }

    private long count(String rows, Object... params) {
        return jdbc.sql("select count(*) from (" + rows + " limit " + (COUNTED + 1) + ") r").params(params)
                .query(Long.class).single();
    }

    private static Instant instant(ResultSet row, String column) throws SQLException {
        Timestamp at = row.getTimestamp(column);
        return at == null ? null : at.toInstant();
    }
}
