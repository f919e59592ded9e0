package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.DeliveryTotals;
import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.FailureGroup;
import dev.javia.ota.protocol.api.RolloutView;
import dev.javia.ota.protocol.api.UpdateDevicesPage;
import dev.javia.ota.protocol.api.UpdatePage;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.api.UpdateView;
import dev.javia.ota.server.device.DeviceRegistry;
import dev.javia.ota.server.web.ApiException;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
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
 * What the operator reads about updates: the list, newest first and a page at a time, and one update, each with how
 * many devices stand in each status; which devices of an update are in a status and why its failures failed; one
 * device's history.
 */
@Service
@Transactional(readOnly = true)
public class UpdateCatalog {

    /** Newest version first; versions are unique, created_at only settles what a hand-made row could tie. */
    private static final Sort NEWEST_FIRST = Sort.by(Sort.Direction.DESC, "versionMajor", "versionMinor",
            "versionPatch", "createdAt");

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
    private final Rollouts rollouts;
    private final Deliveries deliveries;

    UpdateCatalog(UpdateRepository updates, JdbcClient jdbc, DeviceRegistry registry, Rollouts rollouts,
            Deliveries deliveries) {
        this.deliveries = deliveries;
        this.updates = updates;
        this.jdbc = jdbc;
        this.registry = registry;
        this.rollouts = rollouts;
    }

    /** The update with its devices' statuses and its latest rollout: phases, rules, state, and what comes next. */
    UpdateView one(UUID id) {
        Update update = find(id);
        return update.view(counts(List.of(update)).get(id), rollouts.latestOf(List.of(id), true).get(id),
                deliveries.ofUpdates(List.of(id)).get(id));
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
    public List<DeviceUpdateView> history(String deviceUuid) {
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

    /**
     * One page of the updates that pass the filters (each applies when not null), the newest version first. The
     * counts are those of the page's updates alone: the list never reads the rest of the fleet's history.
     */
    UpdatePage list(String version, UpdateType type, UpdateStatus status, int page, int size) {
        Page<Update> found = updates.search(version, type, status, PageRequest.of(page, size, NEWEST_FIRST));
        Map<UUID, Map<UpdateStatus, Long>> counts = counts(found.getContent());
        Map<UUID, RolloutView> latest = rollouts.latestOf(found.getContent().stream().map(Update::id).toList(),
                false);
        Map<UUID, DeliveryTotals> delivered = deliveries.ofUpdates(counts.keySet());
        List<UpdateView> views = found.getContent().stream()
                .map(update -> update.view(counts.get(update.id()), latest.get(update.id()),
                        delivered.get(update.id()))).toList();
        return new UpdatePage(views, page, size, found.getTotalElements(), found.getTotalPages());
    }

    /** How many devices stand in each status, per update, every status present (0 when none): one grouped query. */
    private Map<UUID, Map<UpdateStatus, Long>> counts(List<Update> of) {
        Map<UUID, Map<UpdateStatus, Long>> counts = new HashMap<>();
        of.forEach(update -> counts.put(update.id(), emptyCounts()));
        if (of.isEmpty()) {
            return counts;
        }
        jdbc.sql("""
                        select update_id, status, count(*) as devices from device_updates
                        where update_id = any(?::uuid[]) group by update_id, status
                        """)
                .param(counts.keySet().toArray(UUID[]::new))
                .query(rs -> {
                    counts.get(rs.getObject("update_id", UUID.class))
                            .put(UpdateStatus.parse(rs.getString("status")), rs.getLong("devices"));
                });
        return counts;
    }

    private static Map<UpdateStatus, Long> emptyCounts() {
        Map<UpdateStatus, Long> counts = new EnumMap<>(UpdateStatus.class);
        for (UpdateStatus status : UpdateStatus.values()) {
            counts.put(status, 0L);
        }
        return counts;
    }
}
