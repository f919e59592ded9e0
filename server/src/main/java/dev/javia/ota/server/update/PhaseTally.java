package dev.javia.ota.server.update;

import dev.javia.ota.server.device.InstallWindows;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/** Counts the devices of rollouts' phases by where they stand, for many rollouts in one query. */
@Component
class PhaseTally {

    private final JdbcClient jdbc;
    private final Clock clock;
    private final InstallWindows windows;

    PhaseTally(JdbcClient jdbc, Clock clock, InstallWindows windows) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.windows = windows;
    }

    /** Each rollout's phases (only its open one when {@code openOnly}), by index; a phase with no device is absent. */
    Map<UUID, Map<Integer, PhaseCounts>> of(Collection<UUID> rollouts, boolean openOnly) {
        Map<UUID, Map<Integer, PhaseCounts>> tally = new HashMap<>();
        if (rollouts.isEmpty()) {
            return tally;
        }
        Timestamp now = Timestamp.from(clock.instant());
        int fleetMinutes = windows.fleet().lengthMinutes();
        jdbc.sql("""
                select rd.rollout_id, rd.phase,
                       case when not rd.offered then 'queued' when du.id is null then 'not_needed' else du.status end
                         as category,
                       count(*) as devices,
                       count(*) filter (where du.status in ('downloading', 'installing')
                                          and du.started_at < ?::timestamptz
                                              - r.install_timeout_seconds * interval '1 second'
                                        or du.status = 'pending' and d.status <> 'offline'
                                          and du.scheduled_for + interval '1 day'
                                              + case when u.update_type = 'scheduled'
                                                     then coalesce(d.window_length_minutes, ?) * interval '1 minute'
                                                     else interval '0' end < ?::timestamptz) as silent,
                       count(*) filter (where (not rd.offered or du.status = 'pending') and d.status = 'offline')
                         as offline_unstarted,
                       count(*) filter (where du.status = 'failed' and du.completed_at >= r.judged_since) as failed_since,
                       count(*) filter (where du.status = 'completed' and du.completed_at >= r.judged_since)
                         as completed_since,
                       max(du.scheduled_for + coalesce(d.window_length_minutes, ?) * interval '1 minute')
                         filter (where u.update_type = 'scheduled') as windows_end
                from rollouts r
                join updates u on u.id = r.update_id
                join rollout_devices rd on rd.rollout_id = r.id
                join devices d on d.id = rd.device_id
                left join device_updates du
                  on du.device_id = rd.device_id and du.update_id = r.update_id and du.rollout_id = r.id
                where r.id = any(?::uuid[]) and (not ? or rd.phase = r.current_phase)
                group by rd.rollout_id, rd.phase, 3
                """)
                .param(now).param(fleetMinutes).param(now).param(fleetMinutes)
                .param(rollouts.toArray(UUID[]::new)).param(openOnly)
                .query(rs -> {
                    Timestamp end = rs.getTimestamp("windows_end");
                    int phase = rs.getInt("phase");
                    Map<Integer, PhaseCounts> phases = tally.computeIfAbsent(rs.getObject("rollout_id", UUID.class),
                            id -> new TreeMap<>());
                    phases.put(phase, phases.getOrDefault(phase, PhaseCounts.empty(phase)).plus(
                            rs.getString("category"), rs.getLong("devices"), rs.getLong("silent"),
                            rs.getLong("offline_unstarted"), rs.getLong("failed_since"), rs.getLong("completed_since"),
                            end == null ? null : end.toInstant()));
                });
        return tally;
    }

    /** The open phase of each rollout (empty counts when it holds no device). */
    Map<UUID, PhaseCounts> open(List<RolloutRow> rollouts) {
        Map<UUID, Map<Integer, PhaseCounts>> tally = of(rollouts.stream().map(RolloutRow::id).toList(), true);
        Map<UUID, PhaseCounts> open = new HashMap<>();
        for (RolloutRow rollout : rollouts) {
            open.put(rollout.id(), tally.getOrDefault(rollout.id(), Map.of()).getOrDefault(rollout.currentPhase(),
                    PhaseCounts.empty(rollout.currentPhase())));
        }
        return open;
    }

    /** How many of each capped rollout's devices are offered it and not yet finished. */
    Map<UUID, Long> openOffers(Collection<UUID> rollouts) {
        Map<UUID, Long> open = new HashMap<>();
        if (rollouts.isEmpty()) {
            return open;
        }
        jdbc.sql("""
                select rollout_id, count(*) as open from device_updates
                where rollout_id = any(?::uuid[]) and status in ('pending', 'downloading', 'installing')
                group by rollout_id
                """)
                .param(rollouts.toArray(UUID[]::new))
                .query(rs -> {
                    open.put(rs.getObject("rollout_id", UUID.class), rs.getLong("open"));
                });
        return open;
    }
}
