package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateView;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The operator's list of updates, newest first, each with how many devices stand in each status. */
@Service
@Transactional(readOnly = true)
class UpdateCatalog {

    private final UpdateRepository updates;
    private final JdbcClient jdbc;

    UpdateCatalog(UpdateRepository updates, JdbcClient jdbc) {
        this.updates = updates;
        this.jdbc = jdbc;
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
