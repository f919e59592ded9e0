package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutView;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the dashboard reads of rollouts, through {@link Rollouts}' own views (so that its counts and "what happens
 * next" are the API's): the rollouts in progress for the overview, a page of the list, and a rollout's failures
 * grouped by their error message. Each read is bounded.
 */
@Component
public class RolloutBoard {

    /** The most rollouts in progress the overview shows. */
    public static final int IN_PROGRESS = 10;
    /** The most error messages a rollout page shows, and the most devices under each. */
    static final int FAILURE_GROUPS = 20;
    static final int DEVICES_PER_FAILURE = 10;

    private final Rollouts rollouts;
    private final JdbcClient jdbc;
    private final Clock clock;

    RolloutBoard(Rollouts rollouts, JdbcClient jdbc, Clock clock) {
        this.rollouts = rollouts;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /**
     * The {@value #IN_PROGRESS} most recent rollouts that have not ended (running, paused, awaiting approval,
     * scheduled), newest first, each counted: for the overview's "rollouts in progress".
     */
    public List<RolloutProgress> inProgress() {
        List<RolloutRow> rows = jdbc.sql(RolloutRow.SELECT + """
                where r.state in ('running', 'paused', 'awaiting_approval', 'scheduled')
                order by r.created_at desc, r.id desc limit ?
                """).param(IN_PROGRESS).query(RolloutRow.MAPPER).list();
        return progress(rows, true);
    }

    /** One page of the list, as the API's list filters it; only the rollouts that have not ended are counted. */
    Page page(RolloutState state, int page, int size) {
        String where = " where (?::text is null or r.state = ?)";
        String stateText = state == null ? null : state.wire();
        long total = jdbc.sql("select count(*) from rollouts r" + where).param(stateText).param(stateText)
                .query(Long.class).single();
        List<RolloutRow> rows = jdbc.sql(RolloutRow.SELECT + where + " order by r.created_at desc, r.id desc"
                        + " limit ? offset ?")
                .param(stateText).param(stateText).param(size).param((long) page * size)
                .query(RolloutRow.MAPPER).list();
        return new Page(progress(rows, false), page, (int) ((total + size - 1) / size), total);
    }

    /** A page of the list. */
    record Page(List<RolloutProgress> rollouts, int page, int totalPages, long total) {
    }

    /** One rollout, counted; 404 when there is none. */
    RolloutProgress one(UUID id) {
        return new RolloutProgress(rollouts.view(id), true, clock.instant());
    }

    /**
     * The rollout's failed devices grouped by their error message, the groups with the most devices first: at most
     * {@value #FAILURE_GROUPS} groups and {@value #DEVICES_PER_FAILURE} devices each (the newest failures), with
     * each group's full count.
     */
    List<RolloutProgress.Failure> failures(UUID id) {
        Map<String, List<RolloutProgress.FailedDevice>> shown = new LinkedHashMap<>();
        Map<String, Long> counts = new LinkedHashMap<>();
        // the offers of one update by status are an index's (device_updates_update_status)
        jdbc.sql("""
                with failed as (
                    select coalesce(nullif(btrim(du.error_message), ''), '(no error message)') as message,
                           d.device_uuid, d.device_name, du.completed_at
                    from rollouts r
                    join device_updates du on du.update_id = r.update_id and du.status = 'failed'
                                          and du.rollout_id = r.id
                    join devices d on d.id = du.device_id
                    where r.id = ?
                ), ranked as (
                    select f.*, count(*) over (partition by message) as devices,
                           row_number() over (partition by message
                                              order by completed_at desc nulls last, device_uuid) as place
                    from failed f
                ), grouped as (
                    select ranked.*, dense_rank() over (order by devices desc, message) as rank from ranked
                )
                select message, devices, device_uuid, device_name, completed_at from grouped
                where rank <= ? and place <= ?
                order by rank, place
                """).param(id).param(FAILURE_GROUPS).param(DEVICES_PER_FAILURE)
                .query(rs -> {
                    String message = rs.getString("message");
                    counts.put(message, rs.getLong("devices"));
                    Timestamp at = rs.getTimestamp("completed_at");
                    shown.computeIfAbsent(message, key -> new ArrayList<>()).add(new RolloutProgress.FailedDevice(
                            rs.getString("device_uuid"), rs.getString("device_name"),
                            at == null ? null : at.toInstant()));
                });
        List<RolloutProgress.Failure> failures = new ArrayList<>();
        shown.forEach((message, devices) -> failures.add(new RolloutProgress.Failure(message, counts.get(message),
                List.copyOf(devices))));
        return failures;
    }

    private List<RolloutProgress> progress(List<RolloutRow> rows, boolean countEnded) {
        Instant now = clock.instant();
        List<UUID> counted = rows.stream().filter(row -> countEnded || !row.state().isFinal()).map(RolloutRow::id)
                .toList();
        List<RolloutView> views = rollouts.views(rows, counted);
        List<RolloutProgress> progress = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            progress.add(new RolloutProgress(views.get(i), counted.contains(rows.get(i).id()), now));
        }
        return progress;
    }
}
