package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.HeartbeatReply;
import dev.javia.ota.protocol.api.MessageOrder;
import dev.javia.ota.protocol.api.UpdateWindow;
import dev.javia.ota.server.OtaProperties;
import dev.javia.ota.server.persistence.JsonColumn;
import dev.javia.ota.server.persistence.Rows;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.DatabaseUnavailable;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Heartbeats, the most frequent call of the fleet. A heartbeat that repeats what the device record holds carries
 * nothing that must be durable at once: it is validated and answered straight away, and its last_seen (with
 * metadata) is gathered in memory and written for all devices in one statement per flush interval. Losing that
 * second of last_seen in a crash is harmless. A heartbeat that changes the record is written before it is
 * answered, so that the device is never told "received" about something a crash could lose: a new version of the
 * app or of the agent, or a new package format (each known without a query from {@link KnownVersions}), and
 * "updating". A flush that fails because the database is gone keeps its heartbeats (a newer one of the same device
 * wins, as in the batch) and the next flush writes them, so a heartbeat that was answered is written when the
 * database returns. A heartbeat brings an offline device back and
 * may say it is updating. Which message is newer is judged as {@link dev.javia.ota.protocol.api.MessageOrder}
 * says: within one agent run by {@code seq}, otherwise by the time this server received it. A stale heartbeat (made
 * before a message the record already holds: a report, or a heartbeat written at once) moves last_seen no further
 * back and changes nothing else, so neither its status nor its older current_version undoes a report. Only a
 * heartbeat ordered by seq after every message written may turn "updating" back to "online" (it is the device's
 * word after its last report); one without seq never does: the update's own reports (completed, failed) do that.
 * <p>
 * An "updating" heartbeat's step and download progress are kept with the record (and cleared by the next one that is
 * not "updating"). A heartbeat with {@code settings} (once per agent start) is written at once too: a changed
 * {@code DEVICE_UPDATE_HOUR} can move the device's window ({@link DeviceWindowChanged}).
 */
@Component
public class Heartbeats {

    private static final Logger log = LoggerFactory.getLogger(Heartbeats.class);
    /**
     * The advisory lock that writes of many devices' rows take in turn, on every instance: heartbeat flushes and the
     * offline sweep ("OTA_hbw" in ASCII).
     */
    public static final long WRITE_LOCK = 0x4f54415f686277L;
    /** The row's order and the heartbeat's, as ota_heartbeat_is_stale takes them. */
    private static final String STALE_ARGUMENTS = "d.order_run_id, d.order_seq, d.last_seen, d.reported_at, "
            + "b.run_id, b.seq::bigint, b.seen_at::timestamptz";
    /** A heartbeat without settings says nothing of them; the text arrays of the batch carry "" for it. */
    private static final String NO_SETTINGS = "";

    private final DeviceRegistry registry;
    private final JdbcClient jdbc;
    private final TransactionTemplate transaction;
    private final ApplicationEventPublisher events;
    private final Clock clock;
    private final boolean batching;
    private final int intervalSeconds;
    private final KnownVersions knownVersions;
    private final InstallWindows windows;
    private final Map<UUID, Beat> pending = new ConcurrentHashMap<>();
    private volatile boolean flushFailing;
    /** For the metrics (metrics/FleetMetrics): when a flush last wrote all it took, and how many devices. */
    private volatile Instant lastFlushed;
    private volatile int lastFlushSize;

    Heartbeats(DeviceRegistry registry, KnownVersions knownVersions, InstallWindows windows, JdbcClient jdbc,
            TransactionTemplate transaction, ApplicationEventPublisher events, Clock clock, OtaProperties properties) {
        this.registry = registry;
        this.windows = windows;
        this.knownVersions = knownVersions;
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.events = events;
        this.clock = clock;
        this.batching = properties.heartbeatBatching();
        this.lastFlushed = clock.instant();
        this.intervalSeconds = (int) properties.heartbeatInterval().toSeconds();
    }

    public HeartbeatReply receive(Caller caller, String deviceUuid, Heartbeat heartbeat) {
        Heartbeat body = heartbeat == null ? new Heartbeat(null, null, null) : heartbeat;
        MessageOrder order = DeviceFields.order(body.runId(), body.seq());
        String version = DeviceFields.currentVersion(body.currentVersion());
        String agentVersion = DeviceFields.agentVersion(body.agentVersion());
        Integer packageFormat = DeviceFields.packageFormat(body.packageFormat());
        Map<String, Object> metadata = DeviceFields.metadata(body.metadata());
        String step = DeviceFields.step(body.step());
        Integer progress = DeviceFields.progressPercent(body.progressPercent());
        Integer updateHour = DeviceFields.updateHour(body.settings());
        String uuid = DeviceFields.deviceUuid(deviceUuid);
        UUID deviceId = caller.role() == Caller.Role.DEVICE ? caller.deviceId() : registry.find(uuid).id();
        DeviceStatus status = body.status() == DeviceStatus.UPDATING ? DeviceStatus.UPDATING : DeviceStatus.ONLINE;
        Instant now = clock.instant();
        boolean updating = status == DeviceStatus.UPDATING;
        Beat beat = new Beat(deviceId, now, status, version, metadata == null ? null : JsonColumn.write(metadata),
                order == null ? null : order.runId(), order == null ? null : order.seq(), updating ? step : null,
                updating ? progress : null, body.settings() != null, updateHour, agentVersion, packageFormat);
        if (batching && !changesRecord(uuid, beat)) {
            pending.merge(deviceId, beat, Beat::then);
        } else {
            writeNow(beat);
        }
        return new HeartbeatReply(uuid, status, now, intervalSeconds, null);
    }

    /**
     * Writes every gathered heartbeat; answers how many devices it wrote. With the database gone it writes none and
     * keeps them all for the next flush.
     */
    public int flush() {
        List<Beat> batch = new ArrayList<>();
        for (UUID deviceId : pending.keySet()) {
            Beat beat = pending.remove(deviceId);
            if (beat != null) {
                batch.add(beat);
            }
        }
        if (batch.isEmpty()) {
            lastFlushed = clock.instant();
            lastFlushSize = 0;
            return 0;
        }
        try {
            write(batch);
        } catch (RuntimeException e) {
            if (!DatabaseUnavailable.is(e) && !(e instanceof TransientDataAccessException)) {
                // the same batch would fail again and block every later one
                throw new IllegalStateException("heartbeat flush failed; the last_seen of " + batch.size()
                        + " devices is lost", e);
            }
            batch.forEach(this::keep);
            if (!flushFailing) {
                flushFailing = true;
                log.warn("heartbeat flush failed, kept for the next flush devices={}: {}", batch.size(),
                        DatabaseUnavailable.describe(e));
            }
            return 0;
        }
        lastFlushed = clock.instant();
        lastFlushSize = batch.size();
        if (flushFailing) {
            flushFailing = false;
            log.info("heartbeat flush writes again devices={}", batch.size());
        }
        return batch.size();
    }

    /**
     * How long since a flush last wrote every heartbeat it took: about the flush interval while the database keeps up,
     * growing while flushes fail; zero without batching.
     */
    public Duration flushLag() {
        return batching ? Duration.between(lastFlushed, clock.instant()) : Duration.ZERO;
    }

    /** How many devices the last flush that succeeded wrote. */
    public int lastFlushSize() {
        return lastFlushSize;
    }

    /** How many devices' heartbeats wait for the next flush. */
    public int pendingSize() {
        return pending.size();
    }

    /** Writes what was answered but not flushed yet, before the pool closes: a rolling restart loses nothing. */
    @PreDestroy
    void flushOnShutdown() {
        int written = flush();
        if (pending.isEmpty()) {
            log.info("heartbeats flushed on shutdown devices={}", written);
        } else {
            log.warn("heartbeats not written on shutdown, the database is unavailable: last_seen lost devices={}",
                    pending.size());
        }
    }

    /**
     * A new version (of the app or the agent), a new package format, "updating", or the device's settings: the
     * device's record changes, so the heartbeat is durable before it is answered. The package format also decides
     * what the check that answers this heartbeat may offer (UpdateChecks reads it from the row).
     */
    private boolean changesRecord(String deviceUuid, Beat beat) {
        return beat.status() == DeviceStatus.UPDATING || beat.hasSettings()
                || knownVersions.isNew(deviceUuid, beat.version(), beat.agentVersion(), beat.packageFormat());
    }

    /** Writes one heartbeat before it is answered, with the device's gathered one, so that no flush writes that later. */
    private void writeNow(Beat beat) {
        Beat earlier = pending.remove(beat.deviceId());
        try {
            write(List.of(earlier == null ? beat : earlier.then(beat)));
        } catch (RuntimeException e) {
            if (earlier != null) {
                keep(earlier); // it was answered: it waits for the next flush, this one is refused
            }
            throw e;
        }
    }

    /** Puts back a heartbeat that could not be written; one gathered meanwhile is newer and wins. */
    private void keep(Beat beat) {
        pending.merge(beat.deviceId(), beat, (newer, kept) -> kept.then(newer));
    }

    private void write(List<Beat> beats) {
        List<Beat> sorted = beats.stream().sorted(Comparator.comparing(Beat::deviceId)).toList();
        List<Written> written = transaction.execute(tx -> {
            if (sorted.size() > 1) {
                // The UPDATE locks its rows in its plan's order (a hash join's, for a large batch), not the batch's
                // sorted one: two instances flushing the same devices at once deadlocked (bench/instances_bench.sh,
                // HeartbeatFlushInstancesTests). Writes of many devices therefore take turns, on every instance; one
                // device's write needs no turn (it holds one row, so it closes no cycle).
                jdbc.sql("select pg_advisory_xact_lock(?)").param(WRITE_LOCK).query(rs -> {
                });
            }
            // stale: made before a message the row already holds (ota_heartbeat_is_stale, V4); judged on d, the
            // row version this statement writes, so that a report committed while it waited for the lock counts
            List<Written> rows = jdbc.sql("""
                    update devices d set
                        last_seen = greatest(d.last_seen, b.seen_at::timestamptz),
                        status = case when ota_heartbeat_is_stale(%1$s) then d.status
                                      when b.status = 'updating' or d.status = 'offline' then b.status
                                      when b.seq is not null then b.status
                                      else d.status end,
                        current_version = case when ota_heartbeat_is_stale(%1$s) then d.current_version
                                               else coalesce(b.version, d.current_version) end,
                        metadata = case when ota_heartbeat_is_stale(%1$s) then d.metadata
                                        else coalesce(b.metadata::jsonb, d.metadata) end,
                        -- as the version: a heartbeat that says none (an agent before agent releases, or a batch
                        -- that carries none) keeps what the row holds, so these columns move only when told
                        agent_version = case when ota_heartbeat_is_stale(%1$s) then d.agent_version
                                             else coalesce(b.agent_version, d.agent_version) end,
                        package_format = case when ota_heartbeat_is_stale(%1$s) then d.package_format
                                              else coalesce(b.package_format::integer, d.package_format) end,
                        order_run_id = case when b.seq is null or ota_heartbeat_is_stale(%1$s) then d.order_run_id
                                            else b.run_id end,
                        order_seq = case when b.seq is null or ota_heartbeat_is_stale(%1$s) then d.order_seq
                                         else b.seq::bigint end,
                        update_step = case when ota_heartbeat_is_stale(%1$s) then d.update_step else b.step end,
                        update_progress = case when ota_heartbeat_is_stale(%1$s) then d.update_progress
                                               else b.progress::integer end,
                        -- the device's settings are the same for all of an agent run: taken even from a stale one
                        device_update_hour = case when b.update_hour = '' then d.device_update_hour
                                                  else b.update_hour::integer end
                    from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
                                ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
                             as b(id, seen_at, status, version, metadata, run_id, seq, step, progress, update_hour,
                                  agent_version, package_format)
                    join devices before on before.id = b.id::uuid
                    where d.id = b.id::uuid
                    returning d.id, d.device_uuid, d.timezone, d.current_version, d.agent_version, d.package_format,
                              before.current_version as previous_version, d.window_start_hour,
                              d.window_length_minutes, d.device_update_hour,
                              before.device_update_hour as previous_update_hour
                    """.formatted(STALE_ARGUMENTS))
                    .param(sorted.stream().map(beat -> beat.deviceId().toString()).toArray(String[]::new))
                    .param(sorted.stream().map(beat -> beat.seenAt().toString()).toArray(String[]::new))
                    .param(sorted.stream().map(beat -> beat.status().wire()).toArray(String[]::new))
                    .param(sorted.stream().map(Beat::version).toArray(String[]::new))
                    .param(sorted.stream().map(Beat::metadataJson).toArray(String[]::new))
                    .param(sorted.stream().map(Beat::runId).toArray(String[]::new))
                    .param(sorted.stream().map(beat -> beat.seq() == null ? null : beat.seq().toString())
                            .toArray(String[]::new))
                    .param(sorted.stream().map(Beat::step).toArray(String[]::new))
                    .param(sorted.stream().map(beat -> beat.progress() == null ? null : beat.progress().toString())
                            .toArray(String[]::new))
                    .param(sorted.stream().map(Beat::updateHourText).toArray(String[]::new))
                    .param(sorted.stream().map(Beat::agentVersion).toArray(String[]::new))
                    .param(sorted.stream().map(beat -> beat.packageFormat() == null ? null
                            : beat.packageFormat().toString()).toArray(String[]::new))
                    .query((rs, row) -> new Written(new DeviceReported(rs.getObject("id", UUID.class),
                            rs.getString("device_uuid"), rs.getString("timezone"), rs.getString("current_version")),
                            rs.getString("previous_version"),
                            windowInForce(rs, "previous_update_hour"), windowInForce(rs, "device_update_hour"),
                            rs.getString("agent_version"), Rows.integer(rs, "package_format")))
                    .list();
            rows.stream().filter(Written::changedVersion).map(Written::device).forEach(events::publishEvent);
            rows.stream().filter(Written::changedWindow).map(Written::windowChange).forEach(events::publishEvent);
            return rows;
        });
        written.forEach(row -> knownVersions.remember(row.device().deviceUuid(), row.device().currentVersion(),
                row.agentVersion(), row.packageFormat()));
    }

    private UpdateWindow windowInForce(ResultSet rs, String deviceHourColumn) throws SQLException {
        return windows.inForce(Rows.integer(rs, "window_start_hour"), Rows.integer(rs, "window_length_minutes"),
                Rows.integer(rs, deviceHourColumn));
    }

    /**
     * A device row as a heartbeat write left it (with its agent's version and package format), and the version and
     * window in force it had before.
     */
    private record Written(DeviceReported device, String previousVersion, UpdateWindow windowBefore,
            UpdateWindow window, String agentVersion, Integer packageFormat) {

        boolean changedVersion() {
            return !Objects.equals(device.currentVersion(), previousVersion);
        }

        boolean changedWindow() {
            return DeviceWindowChanged.moves(windowBefore, window);
        }

        DeviceWindowChanged windowChange() {
            return new DeviceWindowChanged(device.deviceId(), device.deviceUuid(), device.timezone(), windowBefore,
                    window);
        }
    }

    /** One device's latest heartbeat, waiting for the next flush, with when it was received and made. */
    private record Beat(UUID deviceId, Instant seenAt, DeviceStatus status, String version, String metadataJson,
            String runId, Long seq, String step, Integer progress, boolean hasSettings, Integer updateHour,
            String agentVersion, Integer packageFormat) {

        /** The device's update hour for the batch's text array: "" when the heartbeat carried no settings. */
        String updateHourText() {
            return !hasSettings ? NO_SETTINGS : updateHour == null ? null : updateHour.toString();
        }


        /**
         * This heartbeat and one received after it, as one: the newer wins (by seq within one agent run, otherwise
         * the later received), but does not erase what the older reported and it left out. The later receipt
         * time stays, for last_seen.
         */
        Beat then(Beat later) {
            boolean laterIsOlder = seq != null && later.seq != null && runId.equals(later.runId) && later.seq < seq;
            Beat newer = laterIsOlder ? this : later;
            Beat older = laterIsOlder ? later : this;
            Beat settings = newer.hasSettings || !older.hasSettings ? newer : older;
            return new Beat(deviceId, later.seenAt.isAfter(seenAt) ? later.seenAt : seenAt, newer.status,
                    newer.version != null ? newer.version : older.version,
                    newer.metadataJson != null ? newer.metadataJson : older.metadataJson, newer.runId, newer.seq,
                    newer.step, newer.progress, settings.hasSettings, settings.updateHour,
                    newer.agentVersion != null ? newer.agentVersion : older.agentVersion,
                    newer.packageFormat != null ? newer.packageFormat : older.packageFormat);
        }
    }
}
