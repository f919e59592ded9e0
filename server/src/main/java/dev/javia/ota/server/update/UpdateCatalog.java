package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.FailureGroup;
import dev.javia.ota.protocol.api.UpdateDevicesPage;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateView;
import dev.javia.ota.server.device.DeviceRegistry;
import dev.javia.ota.server.web.ApiException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the operator reads about updates: the list, newest first, and one update, each with how many devices stand in
 * each status; which devices of an update are in a status and why its failures failed; one device's history.
 */
@Service
@Transactional(readOnly = true)
class UpdateCatalog {

    private final UpdateRepository updates;
    private final JdbcClient jdbc;

    /** A device row of an update page and of a device's history: device_updates joined to its device and update. */
    private static final String DEVICE_UPDATE = """
            select du.id, d.device_uuid, du.update_id, u.version, du.status, du.scheduled_for, du.started_at,
                   du.completed_at, du.error_message, du.created_at, du.updated_at
            from device_updates du join devices d on d.id = du.device_id join updates u on u.id = du.update_id
            """;
    /** How many of a device's updates its history shows, the newest first. */
    static final int HISTORY = 100;
    /** How many distinct failure messages an update page groups, the most frequent first. */
    static final int FAILURE_GROUPS = 20;

    private final DeviceRegistry registry;

    UpdateCatalog(UpdateRepository updates, JdbcClient jdbc, DeviceRegistry registry) {
        this.updates = updates;
        this.jdbc = jdbc;
        this.registry = registry;
    }

    UpdateView one(UUID id) {
        Map<UpdateStatus, Long> counts = emptyCounts();
        jdbc.sql("select status, count(*) as devices from device_updates where update_id = ? group by status")
                .param(id)
                .query(rs -> {
                    counts.put(UpdateStatus.parse(rs.getString("status")), rs.getLong("devices"));
                });
        return find(id).view(counts);
    }

    /** The update's devices in {@code status} (all when null), a page at a time, with its failures grouped. */
    UpdateDevicesPage devices(UUID id, UpdateStatus status, int page, int size) {
        Update update = find(id);
        String filter = status == null ? "" : " and du.status = ?";
        Object[] params = status == null ? new Object[] {id} : new Object[] {id, status.wire()};
        long total = jdbc.sql("select count(*) from device_updates du where du.update_id = ?" + filter)
                .params(params).query(Long.class).single();
        List<DeviceUpdateView> rows = jdbc.sql(DEVICE_UPDATE + " where du.update_id = ?" + filter
                        + " order by du.updated_at desc, d.device_uuid limit ? offset ?")
                .params(concat(params, size, (long) page * size))
                .query((rs, row) -> deviceUpdate(rs))
                .list();
        List<FailureGroup> failures = jdbc.sql("""
                        select coalesce(du.error_message, '') as error_message, count(*) as devices,
                               (array_agg(d.device_uuid order by du.updated_at desc, d.device_uuid))[1:?] as sample
                        from device_updates du join devices d on d.id = du.device_id
                        where du.update_id = ? and du.status = 'failed'
                        group by 1 order by 2 desc, 1 limit ?
                        """)
                .params(FailureGroup.SAMPLE, id, FAILURE_GROUPS)
                .query((rs, row) -> new FailureGroup(rs.getString("error_message"), rs.getLong("devices"),
                        Arrays.asList((String[]) rs.getArray("sample").getArray())))
                .list();
        int pages = (int) ((total + size - 1) / size);
        return new UpdateDevicesPage(update.id(), update.version(), status, rows, failures, page, size, total, pages);
    }

    /** The device's updates, the newest first, at most {@link #HISTORY}. */
    List<DeviceUpdateView> history(String deviceUuid) {
        UUID deviceId = registry.find(deviceUuid).id();
        return jdbc.sql(DEVICE_UPDATE + """
                         where du.device_id = ?
                        order by u.version_major desc, u.version_minor desc, u.version_patch desc, du.created_at desc
                        limit ?
                        """)
                .params(deviceId, HISTORY)
                .query((rs, row) -> deviceUpdate(rs))
                .list();
    }

    private Update find(UUID id) {
        return updates.findById(id).orElseThrow(() -> ApiException.notFound("no update " + id
                + " is published: GET /api/v1/updates/ lists them"));
    }

    private static DeviceUpdateView deviceUpdate(ResultSet rs) throws SQLException {
        return new DeviceUpdateView(rs.getObject("id", UUID.class), rs.getString("device_uuid"),
                rs.getObject("update_id", UUID.class), rs.getString("version"),
                UpdateStatus.parse(rs.getString("status")), instant(rs.getTimestamp("scheduled_for")),
                instant(rs.getTimestamp("started_at")), instant(rs.getTimestamp("completed_at")),
                rs.getString("error_message"), instant(rs.getTimestamp("created_at")),
                instant(rs.getTimestamp("updated_at")));
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    private static Object[] concat(Object[] params, Object... more) {
        Object[] all = Arrays.copyOf(params, params.length + more.length);
        System.arraycopy(more, 0, all, params.length, more.length);
        return all;
    }

    List<UpdateView> list() {
        Map<UUID, Map<UpdateStatus, Long>> counts = new HashMap<>();
        jdbc.sql("select update_id, status, count(*) as devices from device_updates group by update_id, status")
                .query(rs -> {
                    counts.computeIfAbsent(rs.getObject("update_id", UUID.class), id -> emptyCounts())
                            .put(UpdateStatus.parse(rs.getString("status")), rs.getLong("devices"));
                });
        return updates.findAllByOrderByVersionMajorDescVersionMinorDescVersionPatchDesc().stream()
                .map(update -> update.view(counts.getOrDefault(update.id(), emptyCounts())))
                .toList();
    }

    private static Map<UpdateStatus, Long> emptyCounts() {
        Map<UpdateStatus, Long> counts = new EnumMap<>(UpdateStatus.class);
        for (UpdateStatus status : UpdateStatus.values()) {
            counts.put(status, 0L);
        }
        return counts;
    }
}
