package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.api.UpdateWindow;
import dev.javia.ota.server.device.DeviceReported;
import dev.javia.ota.server.device.DeviceWindowChanged;
import dev.javia.ota.server.device.InstallWindows;
import jakarta.persistence.EntityManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Puts updates in front of devices: a rollout's update for the devices of its open phases, in one set-based statement,
 * and the newest update that applies for a device that joins later or reports an older version.
 */
@Component
class Assignments {

    private static final Logger log = LoggerFactory.getLogger(Assignments.class);

    /** The start hour of the window in force, in SQL, as {@link InstallWindows#inForce} works it out. */
    private static final String WINDOW_HOUR = "coalesce(d.window_start_hour, d.device_update_hour, ?)";

    private final JdbcClient jdbc;
    private final Clock clock;
    private final InstallWindows windows;
    private final InstallTurns turns;
    private final EntityManager entityManager;
    private final int batch;
    private final PendingBatches batches;

    Assignments(JdbcClient jdbc, Clock clock, InstallWindows windows, InstallTurns turns,
            EntityManager entityManager, RolloutSettings settings, PendingBatches batches) {
        this.jdbc = jdbc;
        this.batches = batches;
        this.batch = settings.offerBatch();
        this.entityManager = entityManager;
        this.clock = clock;
        this.windows = windows;
        this.turns = turns;
    }

    /**
     * How many devices one call may offer the rollout to now, given how many of its offers are open: as many as its
     * cap leaves room for, and at most one batch ({@code ota.rollouts.offer-batch}). A phase of 100,000 devices is
     * offered in batches by the ticks that follow, and each of its devices that checks before its batch comes is
     * offered the update at its check ({@link #offerAtCheck}), so that no action holds its transaction for the whole
     * phase's writes.
     */
    int room(RolloutRow rollout, long openOffers) {
        Integer cap = rollout.rules().maxConcurrent();
        return (int) Math.min(batch, cap == null ? Long.MAX_VALUE : Math.max(0, cap - openOffers));
    }

    /**
     * Offers the rollout's update to its devices in phases up to the current one that were not offered yet (at most
     * {@code limit} of them, null: all; only {@code device} when given), and supersedes their older updates that have
     * not started. Answers how many devices it was offered to. A release is never offered to a device at or above its
     * version, nor to one with an open offer of a newer update (no path offers a downgrade but a rollback); a device
     * whose version does not parse as a protocol {@link Version} (none reported, or a hand-made VERSION file) is
     * offered it as before, when the version differs: there is nothing to compare, and leaving it behind would
     * strand it. A rollback is offered to every one of its devices that does not already run its version.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    int offer(RolloutRow rollout, Integer limit, UUID device) {
        if (device == null) {
            // a batch may leave devices of the phase waiting: their checks look for it from now on
            batches.offering();
        }
        Instant now = clock.instant();
        // the devices' windows start at the hour in force for each, in its zone: one due time per (zone, hour)
        List<ZoneHour> zones = jdbc.sql("select distinct d.timezone, " + WINDOW_HOUR + " as hour"
                        + " from rollout_devices rd join devices d on d.id = rd.device_id"
                        + " where rd.rollout_id = ? and not rd.offered and rd.phase <= ?"
                        + " and (?::uuid is null or rd.device_id = ?::uuid)")
                .param(windows.fleetHour()).param(rollout.id()).param(rollout.currentPhase()).param(device)
                .param(device)
                .query((rs, row) -> new ZoneHour(rs.getString("timezone"), rs.getInt("hour"))).list();
        if (zones.isEmpty()) {
            return 0;
        }
        // a rollback's rows are due at once: the operator decided that these devices must leave the bad version
        String[] dueTimes = zones.stream()
                .map(zone -> (rollout.isRollback() ? now
                        : dueAt(rollout.updateType(), zone.timezone(), zone.hour(), now)).toString())
                .toArray(String[]::new);
        Integer[] key = versionKey(rollout.version());
        String needs = rollout.isRollback() ? "d.current_version is distinct from ?" : """
                d.current_version is distinct from ?
                and (ota_version_key(d.current_version) is null or ota_version_key(d.current_version) < ?::integer[])
                and not exists (select 1 from device_updates o join updates ou on ou.id = o.update_id
                                where o.device_id = d.id and o.status in ('pending', 'downloading', 'installing')
                                  and array[ou.version_major, ou.version_minor, ou.version_patch] > ?::integer[])
                """;
        var statement = jdbc.sql("""
                with chosen as (
                    select rd.device_id from rollout_devices rd join devices d on d.id = rd.device_id
                    where rd.rollout_id = ? and not rd.offered and rd.phase <= ?
                      and (?::uuid is null or rd.device_id = ?::uuid)
                    order by rd.phase, (d.status = 'offline'), rd.device_id
                    limit ?
                ), marked as (
                    update rollout_devices rd set offered = true from chosen c
                    -- "not offered" again: of two offers racing for a device (its check, a tick's batch), the
                    -- second finds it offered once the first commits, and writes nothing
                    where rd.rollout_id = ? and rd.device_id = c.device_id and not rd.offered
                    returning rd.device_id
                ), needing as (
                    select d.id, d.timezone, %s as hour from devices d join marked m on m.device_id = d.id
                    where %s
                ), superseded as (
                    update device_updates du set status = 'superseded', updated_at = ?
                    from needing n
                    where du.device_id = n.id and du.status = 'pending' and du.update_id <> ?
                    returning du.id
                ), inserted as (
                    insert into device_updates (id, device_id, update_id, status, scheduled_for, created_at,
                                                updated_at, rollout_id, rollback)
                    select gen_random_uuid(), n.id, ?, 'pending', w.due::timestamptz, ?, ?, ?, ?
                    from needing n
                    join unnest(?::text[], ?::integer[], ?::text[]) as w(timezone, hour, due)
                      on w.timezone = n.timezone and w.hour = n.hour
                    on conflict (device_id, update_id) do update
                       set status = 'pending', scheduled_for = excluded.scheduled_for, started_at = null,
                           completed_at = null, error_message = null, updated_at = excluded.updated_at,
                           rollout_id = excluded.rollout_id, rollback = excluded.rollback
                     where device_updates.status in ('completed', 'superseded')
                    returning 1
                )
                select (select count(*) from inserted) as offered, (select count(*) from superseded) as superseded
                """.formatted(WINDOW_HOUR, needs))
                .param(rollout.id()).param(rollout.currentPhase()).param(device).param(device)
                .param(limit == null ? Integer.MAX_VALUE : limit).param(rollout.id())
                .param(windows.fleetHour()).param(rollout.version());
        if (!rollout.isRollback()) {
            statement = statement.param(key).param(key);
        }
        Timestamp at = Timestamp.from(now);
        Counts counts = statement.param(at).param(rollout.updateId())
                .param(rollout.updateId()).param(at).param(at).param(rollout.id()).param(rollout.isRollback())
                .param(zones.stream().map(ZoneHour::timezone).toArray(String[]::new))
                .param(zones.stream().map(ZoneHour::hour).toArray(Integer[]::new)).param(dueTimes)
                .query((rs, row) -> new Counts(rs.getInt("offered"), rs.getInt("superseded"))).single();
        if (device == null || counts.offered() > 0) {
            log.info("offered update version={} type={} rollout={} phase={} devices={} superseded={} timezones={}",
                    rollout.version(), rollout.updateType().wire(), rollout.id(), rollout.currentPhase(),
                    counts.offered(), counts.superseded(), zones.size());
        }
        return counts.offered();
    }

    /**
     * A device checks while it is a member of open phases not offered to it yet (their batch has not come): each
     * such rollout that still runs, with no concurrency cap (a capped one keeps its turns), is offered to it now, in
     * id order, each under a shared lock of its row so that a pause or a tick in progress is waited for, not raced.
     */
    @Transactional
    void offerAtCheck(UUID device, List<UUID> rollouts) {
        for (UUID id : rollouts.stream().sorted().toList()) {
            jdbc.sql(RolloutRow.SELECT + " where r.id = ? and r.state = 'running' and r.max_concurrent is null"
                            + " for share of r")
                    .param(id).query(RolloutRow.MAPPER).optional()
                    .ifPresent(rollout -> offer(rollout, null, device));
        }
    }

    /**
     * A device joined, or reports a version it did not have: it joins the open phase of the newest rollout whose
     * target it is in (or, when it runs a version that was rolled back, that rollback), and is offered the update
     * when that rollout runs or has finished. An update published before rollouts existed is offered as it was. A
     * failed update is not offered again on its own: that stays the operator's call. Pending updates it no longer
     * needs are retired.
     */
    @EventListener
    @Transactional(propagation = Propagation.MANDATORY)
    void onDeviceReported(DeviceReported device) {
        // the device's new version may still be in the persistence context only; the SQL below reads the row
        entityManager.flush();
        Optional<Version> running = Version.tryParse(device.currentVersion());
        running.ifPresent(version -> retireInstalled(device.deviceId(), version));
        Optional<RolloutRow> rollback = rollbackFor(device);
        if (rollback.isPresent()) {
            join(rollback.get(), device);
            return;
        }
        Optional<NewestUpdate> newest = newestFor(device);
        if (newest.isEmpty() || running.filter(version -> version.compareTo(newest.get().version()) >= 0).isPresent()) {
            return;
        }
        if (newest.get().rollout() != null) {
            join(newest.get().rollout(), device);
        } else {
            offerUnphased(newest.get(), device);
        }
    }

    /** Makes the device a member of the rollout's open phase (its last, once finished), offered when it runs. */
    private void join(RolloutRow rollout, DeviceReported device) {
        int phase = rollout.state() == RolloutState.FINISHED ? rollout.phases().size() - 1 : rollout.currentPhase();
        // a member whose offer ended (installed, or not needed, and now back on an older version) is offered again;
        // one whose install failed is not: retrying stays the operator's call
        jdbc.sql("""
                insert into rollout_devices (rollout_id, device_id, phase, offered) values (?, ?, ?, false)
                on conflict (rollout_id, device_id) do update set offered = false
                 where rollout_devices.offered and not exists (
                       select 1 from device_updates du where du.device_id = excluded.device_id and du.update_id = ?
                          and du.status in ('pending', 'downloading', 'installing', 'failed'))
                """)
                .param(rollout.id()).param(device.deviceId()).param(phase).param(rollout.updateId()).update();
        boolean offering = rollout.state() == RolloutState.FINISHED
                || rollout.state() == RolloutState.RUNNING && rollout.rules().maxConcurrent() == null;
        if (offering) {
            // a late joiner of a finished rollout is offered at once, whatever phase it was put in
            RolloutRow open = rollout.state() == RolloutState.FINISHED ? rollout.atPhase(phase) : rollout;
            offer(open, null, device.deviceId());
        }
    }

    /** An update published before rollouts: offered to a device that joins later as it always was. */
    private void offerUnphased(NewestUpdate newest, DeviceReported device) {
        Instant now = clock.instant();
        int hour = jdbc.sql("select " + WINDOW_HOUR + " from devices d where d.id = ?")
                .param(windows.fleetHour()).param(device.deviceId()).query(Integer.class).single();
        Instant due = dueAt(newest.type(), device.timezone(), hour, now);
        jdbc.sql("""
                update device_updates set status = 'superseded', updated_at = ?
                where device_id = ? and status = 'pending' and update_id <> ?
                """)
                .param(Timestamp.from(now)).param(device.deviceId()).param(newest.id()).update();
        int changed = jdbc.sql("""
                insert into device_updates (id, device_id, update_id, status, scheduled_for, created_at, updated_at)
                values (gen_random_uuid(), ?, ?, 'pending', ?, ?, ?)
                on conflict (device_id, update_id) do update
                   set status = 'pending', scheduled_for = excluded.scheduled_for, started_at = null,
                       completed_at = null, error_message = null, updated_at = excluded.updated_at
                 where device_updates.status in ('completed', 'superseded')
                """)
                .param(device.deviceId()).param(newest.id()).param(Timestamp.from(due))
                .param(Timestamp.from(now)).param(Timestamp.from(now))
                .update();
        if (changed > 0) {
            log.info("scheduled update version={} device_uuid={} running={} due={}", newest.version(),
                    device.deviceUuid(), device.currentVersion(), due);
        }
    }

    /**
     * The window in force for a device changed: its scheduled updates that have not started, and were due at a start
     * of the old window, become due at the next start of the new one. One due at an operator's moment (not a
     * window's start) keeps it.
     */
    @EventListener
    @Transactional(propagation = Propagation.MANDATORY)
    void onWindowChanged(DeviceWindowChanged change) {
        ZoneId zone = ZoneId.of(change.timezone());
        NightlyWindow before = turns.window(change.before());
        Instant now = clock.instant();
        Instant next = turns.window(change.after()).next(now, zone);
        List<UUID> moved = jdbc.sql("""
                select du.id, du.scheduled_for from device_updates du join updates u on u.id = du.update_id
                where du.device_id = ? and du.status = 'pending' and u.update_type = 'scheduled'
                """)
                .param(change.deviceId())
                .query((rs, row) -> before.isStart(rs.getTimestamp("scheduled_for").toInstant(), zone)
                        ? rs.getObject("id", UUID.class) : null)
                .list().stream().filter(Objects::nonNull).toList();
        if (moved.isEmpty()) {
            return;
        }
        jdbc.sql("update device_updates set scheduled_for = ?, updated_at = ? where id = any(?::uuid[])")
                .param(Timestamp.from(next)).param(Timestamp.from(now)).param(moved.toArray(UUID[]::new))
                .update();
        log.info("moved scheduled updates to the device's window device_uuid={} updates={} start_hour={} due={}",
                change.deviceUuid(), moved.size(), change.after().startHour(), next);
    }

    /**
     * Pending updates at or below the version a device already runs are no longer needed; a rollback below it is
     * (that is its point), one to the version it runs is not.
     */
    private void retireInstalled(UUID deviceId, Version running) {
        jdbc.sql("""
                update device_updates du set status = 'superseded', updated_at = ?
                from updates u
                where du.update_id = u.id and du.device_id = ? and du.status = 'pending'
                  and (u.version_major, u.version_minor, u.version_patch) <= (?, ?, ?)
                  and not (du.rollback and (u.version_major, u.version_minor, u.version_patch) < (?, ?, ?))
                """)
                .param(Timestamp.from(clock.instant())).param(deviceId)
                .param(running.major()).param(running.minor()).param(running.patch())
                .param(running.major()).param(running.minor()).param(running.patch())
                .update();
    }

    /**
     * The newest update that applies to the device: one published before rollouts for the fleet or naming it, or
     * one whose latest release rollout was not cancelled nor rolled back and whose target holds the device.
     */
    private Optional<NewestUpdate> newestFor(DeviceReported device) {
        List<NewestUpdate> candidates = jdbc.sql(RolloutRow.SELECT_LATEST_RELEASES)
                .param(device.deviceUuid())
                .query((rs, row) -> new NewestUpdate(rs.getObject("candidate_id", UUID.class),
                        Version.parse(rs.getString("version")), UpdateType.parse(rs.getString("update_type")),
                        rs.getObject("id", UUID.class) == null ? null : RolloutRow.MAPPER.mapRow(rs, row)))
                .list();
        return candidates.stream().filter(candidate -> candidate.rollout() == null
                || holds(candidate.rollout(), device.deviceId())).findFirst();
    }

    /** A rollback that runs (or has finished) for the bad version the device reports, when there is one. */
    private Optional<RolloutRow> rollbackFor(DeviceReported device) {
        if (device.currentVersion() == null) {
            return Optional.empty();
        }
        return jdbc.sql(RolloutRow.SELECT + """
                join rollouts bad on bad.id = r.rollback_of join updates bu on bu.id = bad.update_id
                where r.kind = 'rollback' and r.state in ('running', 'finished') and bu.version = ?
                order by r.created_at desc limit 1
                """)
                .param(device.currentVersion()).query(RolloutRow.MAPPER).optional();
    }

    boolean holds(RolloutRow rollout, UUID deviceId) {
        RolloutTargets.Condition target = RolloutTargets.where(rollout.target());
        var query = jdbc.sql("select exists (select 1 from devices d where d.id = ? and " + target.sql() + ")")
                .param(deviceId);
        for (Object param : target.params()) {
            query = query.param(param);
        }
        return query.query(Boolean.class).single();
    }

    /** The version as {@code ota_version_key} (V5) gives it, for comparing in SQL. */
    private static Integer[] versionKey(String version) {
        Version parsed = Version.parse(version);
        return new Integer[] {parsed.major(), parsed.minor(), parsed.patch()};
    }

    /** An urgent update is due now; a scheduled one at the next start of the window opening at {@code hour}. */
    Instant dueAt(UpdateType type, String zone, int hour, Instant now) {
        if (type == UpdateType.URGENT) {
            return now;
        }
        return turns.window(new UpdateWindow(hour, windows.fleet().lengthMinutes(), null)).next(now, ZoneId.of(zone));
    }

    private record NewestUpdate(UUID id, Version version, UpdateType type, RolloutRow rollout) {
    }

    private record Counts(int offered, int superseded) {
    }

    private record ZoneHour(String timezone, int hour) {
    }
}
