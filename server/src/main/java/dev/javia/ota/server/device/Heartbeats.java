package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.HeartbeatReply;
import dev.javia.ota.server.OtaProperties;
import dev.javia.ota.server.persistence.JsonColumn;
import dev.javia.ota.server.security.Caller;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Heartbeats, the most frequent call of the fleet. A heartbeat carries nothing that must be durable at once: it
 * is validated and answered straight away, and its last_seen (with version and metadata) is gathered in memory and
 * written for all devices in one statement per flush interval. Losing a second of last_seen in a crash is
 * harmless; a version change still reaches the scheduler, in the flush's transaction. A heartbeat brings an
 * offline device back and may say it is updating, but never turns "updating" back to "online": the update's own
 * reports (completed, failed) do that, and a heartbeat gathered before such a report must not undo it.
 */
@Component
public class Heartbeats {

    private static final Logger log = LoggerFactory.getLogger(Heartbeats.class);

    private final DeviceRegistry registry;
    private final JdbcClient jdbc;
    private final TransactionTemplate transaction;
    private final ApplicationEventPublisher events;
    private final Clock clock;
    private final boolean batching;
    private final int intervalSeconds;
    private final Map<UUID, Beat> pending = new ConcurrentHashMap<>();

    Heartbeats(DeviceRegistry registry, JdbcClient jdbc, TransactionTemplate transaction,
            ApplicationEventPublisher events, Clock clock, OtaProperties properties) {
        this.registry = registry;
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.events = events;
        this.clock = clock;
        this.batching = properties.heartbeatBatching();
        this.intervalSeconds = (int) properties.heartbeatInterval().toSeconds();
    }

    public HeartbeatReply receive(Caller caller, String deviceUuid, Heartbeat heartbeat) {
        Heartbeat body = heartbeat == null ? new Heartbeat(null, null, null) : heartbeat;
        String version = DeviceFields.currentVersion(body.currentVersion());
        Map<String, Object> metadata = DeviceFields.metadata(body.metadata());
        String uuid = DeviceFields.deviceUuid(deviceUuid);
        UUID deviceId = caller.role() == Caller.Role.DEVICE ? caller.deviceId() : registry.find(uuid).id();
        DeviceStatus status = body.status() == DeviceStatus.UPDATING ? DeviceStatus.UPDATING : DeviceStatus.ONLINE;
        Instant now = clock.instant();
        Beat beat = new Beat(deviceId, now, status, version, metadata == null ? null : JsonColumn.write(metadata));
        if (batching) {
            pending.merge(deviceId, beat, Beat::then);
        } else {
            write(List.of(beat));
        }
        return new HeartbeatReply(uuid, status, now, intervalSeconds, null);
    }

    /** Writes every gathered heartbeat; answers how many devices it wrote. */
    public int flush() {
        List<Beat> batch = new ArrayList<>();
        for (UUID deviceId : pending.keySet()) {
            Beat beat = pending.remove(deviceId);
            if (beat != null) {
                batch.add(beat);
            }
        }
        if (!batch.isEmpty()) {
            write(batch);
        }
        return batch.size();
    }

    @PreDestroy
    void flushOnShutdown() {
        int written = flush();
        log.info("heartbeats flushed on shutdown devices={}", written);
    }

    private void write(List<Beat> beats) {
        // One lock order for every writer, so that two servers flushing at once cannot deadlock.
        List<Beat> sorted = beats.stream().sorted(Comparator.comparing(Beat::deviceId)).toList();
        transaction.executeWithoutResult(tx -> {
            List<DeviceReported> changed = jdbc.sql("""
                    update devices d set
                        last_seen = greatest(d.last_seen, b.seen_at::timestamptz),
                        status = case when b.status = 'updating' or d.status = 'offline' then b.status
                                      else d.status end,
                        current_version = coalesce(b.version, d.current_version),
                        metadata = coalesce(b.metadata::jsonb, d.metadata)
                    from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
                             as b(id, seen_at, status, version, metadata)
                    join devices before on before.id = b.id::uuid
                    where d.id = b.id::uuid
                    returning d.id, d.device_uuid, d.timezone, d.current_version,
                              before.current_version as previous_version
                    """)
                    .param(sorted.stream().map(beat -> beat.deviceId().toString()).toArray(String[]::new))
                    .param(sorted.stream().map(beat -> beat.seenAt().toString()).toArray(String[]::new))
                    .param(sorted.stream().map(beat -> beat.status().wire()).toArray(String[]::new))
                    .param(sorted.stream().map(Beat::version).toArray(String[]::new))
                    .param(sorted.stream().map(Beat::metadataJson).toArray(String[]::new))
                    .query((rs, row) -> Objects.equals(rs.getString("current_version"), rs.getString("previous_version"))
                            ? null
                            : new DeviceReported(rs.getObject("id", UUID.class), rs.getString("device_uuid"),
                                    rs.getString("timezone"), rs.getString("current_version")))
                    .list();
            changed.stream().filter(Objects::nonNull).forEach(events::publishEvent);
        });
    }

    /** One device's latest heartbeat, waiting for the next flush. */
    private record Beat(UUID deviceId, Instant seenAt, DeviceStatus status, String version, String metadataJson) {

        /** A later heartbeat wins, but does not erase what an earlier one reported and it left out. */
        Beat then(Beat later) {
            return new Beat(deviceId, later.seenAt, later.status, later.version != null ? later.version : version,
                    later.metadataJson != null ? later.metadataJson : metadataJson);
        }
    }
}
