package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.CurrentUpdate;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.device.CurrentUpdates;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The current update of each device in one query: its open update (the newest version, as the check offers it),
 * else the one that ended last, completed or failed. Superseded rows are history, not current.
 */
@Component
class DeviceCurrentUpdates implements CurrentUpdates {

    private final JdbcClient jdbc;
    private final InstallTurns turns;

    DeviceCurrentUpdates(JdbcClient jdbc, InstallTurns turns) {
        this.jdbc = jdbc;
        this.turns = turns;
    }

    @Override
    public Map<UUID, CurrentUpdate> of(List<Subject> devices) {
        Map<UUID, Subject> byId = devices.stream()
                .collect(Collectors.toMap(Subject::deviceId, Function.identity(), (a, b) -> a));
        Map<UUID, CurrentUpdate> current = new HashMap<>();
        jdbc.sql("""
                select distinct on (du.device_id) du.device_id, du.update_id, u.version, u.update_type, du.status,
                       du.scheduled_for, du.started_at, du.completed_at, du.error_message
                from device_updates du join updates u on u.id = du.update_id
                where du.device_id = any(?::uuid[])
                  and du.status in ('pending', 'downloading', 'installing', 'completed', 'failed')
                order by du.device_id, du.status in ('pending', 'downloading', 'installing') desc,
                         case when du.status in ('completed', 'failed') then du.updated_at end desc nulls last,
                         u.version_major desc, u.version_minor desc, u.version_patch desc
                """)
                .param(byId.keySet().toArray(UUID[]::new))
                .query(rs -> {
                    Subject device = byId.get(rs.getObject("device_id", UUID.class));
                    UUID updateId = rs.getObject("update_id", UUID.class);
                    UpdateType type = UpdateType.parse(rs.getString("update_type"));
                    UpdateStatus status = UpdateStatus.parse(rs.getString("status"));
                    Instant scheduledFor = rs.getTimestamp("scheduled_for").toInstant();
                    NightlyWindow.Slot slot = turns.of(type, status, scheduledFor, device.deviceUuid(), updateId,
                            device.timezone(), device.window());
                    boolean open = status == UpdateStatus.PENDING || status == UpdateStatus.DOWNLOADING
                            || status == UpdateStatus.INSTALLING;
                    boolean stepShown = open && device.updating();
                    current.put(device.deviceId(), new CurrentUpdate(updateId, rs.getString("version"), type, status,
                            scheduledFor, slot.turn(), slot.windowEnds(), stepShown ? device.step() : null,
                            stepShown ? device.progressPercent() : null,
                            instant(rs.getTimestamp("started_at")), instant(rs.getTimestamp("completed_at")),
                            rs.getString("error_message")));
                });
        return current;
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
