package dev.javia.ota.server.update;

import dev.javia.ota.server.device.InstallWindows;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Counts the devices of rollouts' phases by where they stand, for many rollouts in one query; and keeps the counts of
 * running rollouts' open phases (V10's rollout_tallies) so that a tick counts again only what changed.
 */
@Component
class PhaseTally {

    /**
     * One row per (rollout, phase) with members; the columns are rollout_tallies' own. Parameters {@code :now} and
     * {@code :fleet} (the fleet's window length); the caller appends its {@code where} and {@code group by}.
     */
    private static final String COUNT = """
            select rd.rollout_id, rd.phase,
                   count(*) filter (where not rd.offered) as queued,
                   count(*) filter (where rd.offered and du.id is null) as not_needed,
                   count(*) filter (where rd.offered and du.status = 'pending') as pending,
                   count(*) filter (where rd.offered and du.status = 'downloading') as downloading,
                   count(*) filter (where rd.offered and du.status = 'installing') as installing,
                   count(*) filter (where rd.offered and du.status = 'completed') as completed,
                   count(*) filter (where rd.offered and du.status = 'failed') as failed,
                   count(*) filter (where rd.offered and du.status = 'superseded') as superseded,
                   count(*) filter (where du.status in ('downloading', 'installing') and du.started_at < t.timeout_at
                                    or du.status = 'pending' and d.status <> 'offline' and t.overdue < :now)
                     as silent,
                   count(*) filter (where (not rd.offered or du.status = 'pending') and d.status = 'offline')
                     as offline_unstarted,
                   count(*) filter (where du.status = 'failed' and du.completed_at >= r.judged_since) as failed_since,
                   count(*) filter (where du.status = 'completed' and du.completed_at >= r.judged_since)
                     as completed_since,
                   max(du.scheduled_for + coalesce(d.window_length_minutes, :fleet) * interval '1 minute')
                     filter (where u.update_type = 'scheduled') as windows_end,
                   -- when the silent count next changes by the clock alone: the next install to time out, the next
                   -- online device to be a day past its window without starting
                   least(min(du.started_at + r.install_timeout_seconds * interval '1 second')
                           filter (where du.status in ('downloading', 'installing') and du.started_at >= t.timeout_at),
                         min(t.overdue) filter (where du.status = 'pending' and d.status <> 'offline'
                                                  and t.overdue >= :now)) as turns_at
            from rollouts r
            join updates u on u.id = r.update_id
            join rollout_devices rd on rd.rollout_id = r.id
            join devices d on d.id = rd.device_id
            left join device_updates du
              on du.device_id = rd.device_id and du.update_id = r.update_id and du.rollout_id = r.id
            cross join lateral (
                select :now::timestamptz - r.install_timeout_seconds * interval '1 second' as timeout_at,
                       du.scheduled_for + interval '1 day'
                         + case when u.update_type = 'scheduled'
                                then coalesce(d.window_length_minutes, :fleet) * interval '1 minute'
                                else interval '0' end as overdue) t
            """;

    private final JdbcClient jdbc;
    private final Clock clock;
    private final InstallWindows windows;

    PhaseTally(JdbcClient jdbc, Clock clock, InstallWindows windows) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.windows = windows;
    }

    /** Each rollout's phases, by index, counted now; a phase with no device is absent. */
    Map<UUID, Map<Integer, PhaseCounts>> of(Collection<UUID> rollouts) {
        Map<UUID, Map<Integer, PhaseCounts>> tally = new HashMap<>();
        if (rollouts.isEmpty()) {
            return tally;
        }
        jdbc.sql(COUNT + " where r.id = any(:rollouts) group by rd.rollout_id, rd.phase")
                .param("now", Timestamp.from(clock.instant())).param("fleet", windows.fleet().lengthMinutes())
                .param("rollouts", rollouts.toArray(UUID[]::new))
                .query(rs -> {
                    PhaseCounts counts = PhaseCounts.read(rs);
                    tally.computeIfAbsent(rs.getObject("rollout_id", UUID.class), id -> new TreeMap<>())
                            .put(counts.phase(), counts);
                });
        return tally;
    }

    /**
     * The open phase of each running rollout, from the counts kept for it; counted again first when its members
     * changed since (a report, an offer, a device's status or window), when its phase or judged_since moved, when
     * the clock reached a moment at which a count turns, or when it was never counted. The caller holds the
     * reconciler's lock: the kept counts have one writer.
     */
    Map<UUID, PhaseCounts> open(List<RolloutRow> running) {
        Timestamp now = Timestamp.from(clock.instant());
        UUID[] ids = running.stream().map(RolloutRow::id).toArray(UUID[]::new);
        // a rollout that stopped running loses its counts: when it runs again they are made afresh
        jdbc.sql("delete from rollout_tallies where rollout_id <> all(?::uuid[])").param(ids).update();
        // reading the queue empties it; a change committed after this statement stays for the next tick
        List<UUID> stale = jdbc.sql("""
                with changed as (delete from rollout_changes returning rollout_id)
                select r.id from rollouts r left join rollout_tallies t on t.rollout_id = r.id
                where r.id = any(?::uuid[])
                  and (t.rollout_id is null or t.phase <> r.current_phase
                       or t.judged_since is distinct from r.judged_since
                       or t.turns_at <= ? or t.counted_at > ?
                       or r.id in (select rollout_id from changed))
                """).param(ids).param(now).param(now).query(UUID.class).list();
        if (!stale.isEmpty()) {
            count(stale, now);
        }
        Map<UUID, PhaseCounts> open = new HashMap<>();
        jdbc.sql("select * from rollout_tallies where rollout_id = any(?::uuid[])").param(ids)
                .query(rs -> {
                    open.put(rs.getObject("rollout_id", UUID.class), PhaseCounts.read(rs));
                });
        return open;
    }

    /** Counts the open phases of these rollouts again and keeps the counts (zeros for a phase with no device). */
    private void count(List<UUID> rollouts, Timestamp now) {
        jdbc.sql("""
                insert into rollout_tallies (rollout_id, phase, judged_since, counted_at, turns_at, queued,
                        not_needed, pending, downloading, installing, completed, failed, superseded, silent,
                        offline_unstarted, failed_since, completed_since, windows_end)
                select o.id, o.current_phase, o.judged_since, :now, c.turns_at, coalesce(c.queued, 0),
                       coalesce(c.not_needed, 0), coalesce(c.pending, 0), coalesce(c.downloading, 0),
                       coalesce(c.installing, 0), coalesce(c.completed, 0), coalesce(c.failed, 0),
                       coalesce(c.superseded, 0), coalesce(c.silent, 0), coalesce(c.offline_unstarted, 0),
                       coalesce(c.failed_since, 0), coalesce(c.completed_since, 0), c.windows_end
                from rollouts o
                left join (%s where r.id = any(:rollouts) and rd.phase = r.current_phase
                           group by rd.rollout_id, rd.phase) c on c.rollout_id = o.id
                where o.id = any(:rollouts)
                on conflict (rollout_id) do update
                   set phase = excluded.phase, judged_since = excluded.judged_since, counted_at = excluded.counted_at,
                       turns_at = excluded.turns_at, queued = excluded.queued, not_needed = excluded.not_needed,
                       pending = excluded.pending, downloading = excluded.downloading,
                       installing = excluded.installing, completed = excluded.completed, failed = excluded.failed,
                       superseded = excluded.superseded, silent = excluded.silent,
                       offline_unstarted = excluded.offline_unstarted, failed_since = excluded.failed_since,
                       completed_since = excluded.completed_since, windows_end = excluded.windows_end
                """.formatted(COUNT))
                .param("now", now).param("fleet", windows.fleet().lengthMinutes())
                .param("rollouts", rollouts.toArray(UUID[]::new))
                .update();
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
