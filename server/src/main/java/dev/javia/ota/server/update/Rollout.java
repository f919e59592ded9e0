package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.api.UpdateWindow;
import dev.javia.ota.server.device.DeviceReported;
import dev.javia.ota.server.device.DeviceWindowChanged;
import dev.javia.ota.server.device.InstallWindows;
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
 * Puts updates in front of devices: a new update for the whole fleet (or its targets) in one set-based statement,
 * and the newest update that applies for a device that joins later or reports an older version.
 */
@Component
class Rollout {

    private static final Logger log = LoggerFactory.getLogger(Rollout.class);

    /** The start hour of the window in force, in SQL, as {@link InstallWindows#inForce} works it out. */
    private static final String WINDOW_HOUR = "coalesce(d.window_start_hour, d.device_update_hour, ?)";

    private final JdbcClient jdbc;
    private final Clock clock;
    private final InstallWindows windows;
    private final InstallTurns turns;

    Rollout(JdbcClient jdbc, Clock clock, InstallWindows windows, InstallTurns turns) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.windows = windows;
        this.turns = turns;
    }

    /**
     * Schedules {@code update} for every registered device, or for {@code targets}, that runs an older version, and
     * supersedes their older updates that have not started. Answers how many devices it was scheduled for. A device
     * at or above the update's version is never offered it (no path offers a downgrade); a device whose version
     * does not parse as a protocol {@link Version} (none reported, or a hand-made VERSION file) is offered it as
     * before, when the version differs: there is nothing to compare, and leaving it behind would strand it.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    int schedule(Update update, List<String> targets) {
        Instant now = clock.instant();
        String[] targetArray = targets == null ? null : targets.toArray(String[]::new);
        // the devices' windows start at the hour in force for each, in its zone: one due time per (zone, hour)
        List<ZoneHour> zones = jdbc.sql("select distinct d.timezone, " + WINDOW_HOUR + " as hour from devices d"
                        + " where (?::text[] is null or d.device_uuid = any(?::text[]))")
                .param(windows.fleetHour()).param(targetArray).param(targetArray)
                .query((rs, row) -> new ZoneHour(rs.getString("timezone"), rs.getInt("hour"))).list();
        String[] dueTimes = zones.stream()
                .map(zone -> dueAt(update.updateType(), zone.timezone(), zone.hour(), now).toString())
                .toArray(String[]::new);
        int superseded = jdbc.sql("""
                update device_updates set status = 'superseded', updated_at = ?
                where status = 'pending' and update_id <> ?
                  and (?::text[] is null
                       or device_id = any(array(select id from devices where device_uuid = any(?::text[]))))
                """)
                .param(Timestamp.from(now)).param(update.id()).param(targetArray).param(targetArray)
                .update();
        // No ON CONFLICT: the update was inserted by this transaction, so no row can name it yet (a speculative
        // insert per row cost about a tenth of the statement).
        int scheduled = jdbc.sql("""
                insert into device_updates (id, device_id, update_id, status, scheduled_for, created_at, updated_at)
                select gen_random_uuid(), d.id, ?, 'pending', w.due::timestamptz, ?, ?
                from devices d
                join unnest(?::text[], ?::integer[], ?::text[]) as w(timezone, hour, due)
                  on w.timezone = d.timezone and w.hour = %s
                where d.current_version is distinct from ?
                  and (ota_version_key(d.current_version) is null or ota_version_key(d.current_version) < ?::integer[])
                  and (?::text[] is null or d.device_uuid = any(?::text[]))
                """.formatted(WINDOW_HOUR))
                .param(update.id()).param(Timestamp.from(now)).param(Timestamp.from(now))
                .param(zones.stream().map(ZoneHour::timezone).toArray(String[]::new))
                .param(zones.stream().map(ZoneHour::hour).toArray(Integer[]::new)).param(dueTimes)
                .param(windows.fleetHour())
                .param(update.version()).param(versionKey(update.version())).param(targetArray).param(targetArray)
                .update();
        log.info("scheduled update version={} type={} devices={} superseded={} timezones={}", update.version(),
                update.updateType().wire(), scheduled, superseded, zones.size());
        return scheduled;
    }

    /**
     * A device joined, or reports a version it did not have: offer it the newest update that applies when that is
     * newer than what it runs, and retire pending updates it no longer needs. A failed update is not offered
     * again on its own: that stays the operator's call.
     */
    @EventListener
    @Transactional(propagation = Propagation.MANDATORY)
    void onDeviceReported(DeviceReported device) {
        Optional<Version> running = Version.tryParse(device.currentVersion());
        running.ifPresent(version -> retireInstalled(device.deviceId(), version));
        Optional<NewestUpdate> newest = newestFor(device.deviceUuid());
        if (newest.isEmpty() || running.filter(version -> version.compareTo(newest.get().version()) >= 0).isPresent()) {
            return;
        }
        Instant now = clock.instant();
        int hour = jdbc.sql("select " + WINDOW_HOUR + " from devices d where d.id = ?")
                .param(windows.fleetHour()).param(device.deviceId()).query(Integer.class).single();
        Instant due = dueAt(newest.get().type(), device.timezone(), hour, now);
        jdbc.sql("""
                update device_updates set status = 'superseded', updated_at = ?
                where device_id = ? and status = 'pending' and update_id <> ?
                """)
                .param(Timestamp.from(now)).param(device.deviceId()).param(newest.get().id()).update();
        int changed = jdbc.sql("""
                insert into device_updates (id, device_id, update_id, status, scheduled_for, created_at, updated_at)
                values (gen_random_uuid(), ?, ?, 'pending', ?, ?, ?)
                on conflict (device_id, update_id) do update
                   set status = 'pending', scheduled_for = excluded.scheduled_for, started_at = null,
                       completed_at = null, error_message = null, updated_at = excluded.updated_at
                 where device_updates.status in ('completed', 'superseded')
                """)
                .param(device.deviceId()).param(newest.get().id()).param(Timestamp.from(due))
                .param(Timestamp.from(now)).param(Timestamp.from(now))
                .update();
        if (changed > 0) {
            log.info("scheduled update version={} device_uuid={} running={} due={}", newest.get().version(),
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

    /** Pending updates at or below the version a device already runs are no longer needed. */
    private void retireInstalled(UUID deviceId, Version running) {
        jdbc.sql("""
                update device_updates du set status = 'superseded', updated_at = ?
                from updates u
                where du.update_id = u.id and du.device_id = ? and du.status = 'pending'
                  and (u.version_major, u.version_minor, u.version_patch) <= (?, ?, ?)
                """)
                .param(Timestamp.from(clock.instant())).param(deviceId)
                .param(running.major()).param(running.minor()).param(running.patch())
                .update();
    }

    private Optional<NewestUpdate> newestFor(String deviceUuid) {
        return jdbc.sql("""
                select id, version, update_type from updates
                where target_devices is null or target_devices @> jsonb_build_array(?::text)
                order by version_major desc, version_minor desc, version_patch desc
                limit 1
                """)
                .param(deviceUuid)
                .query((rs, row) -> new NewestUpdate(rs.getObject("id", UUID.class),
                        Version.parse(rs.getString("version")), UpdateType.parse(rs.getString("update_type"))))
                .optional();
    }

    /** The version as {@code ota_version_key} (V5) gives it, for comparing in SQL. */
    private static Integer[] versionKey(String version) {
        Version parsed = Version.parse(version);
        return new Integer[] {parsed.major(), parsed.minor(), parsed.patch()};
    }

    /** An urgent update is due now; a scheduled one at the next start of the window opening at {@code hour}. */
    private Instant dueAt(UpdateType type, String zone, int hour, Instant now) {
        if (type == UpdateType.URGENT) {
            return now;
        }
        return turns.window(new UpdateWindow(hour, windows.fleet().lengthMinutes(), null)).next(now, ZoneId.of(zone));
    }

    private record NewestUpdate(UUID id, Version version, UpdateType type) {
    }

    private record ZoneHour(String timezone, int hour) {
    }
}
