package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.DeliveryTotals;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What the devices of updates and rollouts downloaded, from their completed reports that say it, against what the
 * whole package would have cost them ({@link DeliveryTotals}): one grouped query over device_updates_delivered (V18),
 * which holds only the rows that say it. A device whose agent says nothing (before deltas) is not counted: it is
 * unknown, neither a saving nor a cost.
 */
@Component
class Deliveries {

    private final JdbcClient jdbc;

    Deliveries(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The totals of each update (every one asked for is there, {@link DeliveryTotals#NONE} when nothing is known). */
    Map<UUID, DeliveryTotals> ofUpdates(Collection<UUID> updateIds) {
        return totals(updateIds, """
                select du.update_id as id, count(*) as devices, sum(du.downloaded_bytes) as downloaded,
                       sum(u.size_bytes) as full_bytes, count(*) filter (where du.delivery = 'delta') as by_delta
                from device_updates du join updates u on u.id = du.update_id
                where du.update_id = any(?::uuid[]) and du.status = 'completed' and du.downloaded_bytes is not null
                group by du.update_id
                """);
    }

    /** The totals of each rollout: its update's devices that it offered the update to. */
    Map<UUID, DeliveryTotals> ofRollouts(Collection<UUID> rolloutIds) {
        return totals(rolloutIds, """
                select r.id as id, count(*) as devices, sum(du.downloaded_bytes) as downloaded,
                       sum(u.size_bytes) as full_bytes, count(*) filter (where du.delivery = 'delta') as by_delta
                from rollouts r join updates u on u.id = r.update_id
                join device_updates du on du.update_id = r.update_id and du.rollout_id = r.id
                where r.id = any(?::uuid[]) and du.status = 'completed' and du.downloaded_bytes is not null
                group by r.id
                """);
    }

    private Map<UUID, DeliveryTotals> totals(Collection<UUID> ids, String sql) {
        Map<UUID, DeliveryTotals> totals = new HashMap<>();
        ids.forEach(id -> totals.put(id, DeliveryTotals.NONE));
        if (ids.isEmpty()) {
            return totals;
        }
        jdbc.sql(sql).param(ids.toArray(UUID[]::new)).query(rs -> {
            totals.put(rs.getObject("id", UUID.class), new DeliveryTotals(rs.getLong("devices"),
                    rs.getLong("downloaded"), rs.getLong("full_bytes"), rs.getLong("by_delta")));
        });
        return totals;
    }
}
