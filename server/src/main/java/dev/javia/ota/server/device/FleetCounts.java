package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.DeviceStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

import java.util.List;

/**
 * How many devices stand in each (status, version), as the triggers of db/migration/V14 keep them: the sums in
 * fleet_counts plus the changes not yet folded into them. A read is a few dozen rows whatever the fleet's size.
 */
@Component
public class FleetCounts {

    /** Arbitrary, fixed: the advisory lock key of the fold ("OTA count" in ASCII). */
    static final long LOCK_KEY = 0x4f54415f636e74L;

    private final JdbcClient jdbc;

    FleetCounts(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Devices in one status on one version; {@code version} null when the devices reported none. */
    public record Count(DeviceStatus status, String version, long devices) {
    }

    /** Every (status, version) that has devices, the largest first. */
    @Transactional(readOnly = true)
    public List<Count> now() {
        return jdbc.sql("""
                        select status, current_version, sum(devices) as devices
                        from (select status, current_version, devices from fleet_counts
                              union all
                              select status, current_version, delta from fleet_count_changes) c
                        group by status, current_version
                        having sum(devices) > 0
                        order by devices desc, status, current_version
                        """)
                .query((row, n) -> new Count(DeviceStatus.parse(row.getString("status")),
                        row.getString("current_version").isEmpty() ? null : row.getString("current_version"),
                        row.getLong("devices")))
                .list();
    }

    /**
     * Adds the pending changes to the sums, on one instance at a time; answers how many changes it folded, or -1 when
     * another instance holds the lock. A change committed while it runs waits for the next fold.
     */
    @Transactional
    public int fold() {
        boolean locked = jdbc.sql("select pg_try_advisory_xact_lock(?)").param(LOCK_KEY).query(Boolean.class).single();
        if (!locked) {
            return -1;
        }
        Integer folded = jdbc.sql("""
                with moved as (delete from fleet_count_changes returning status, current_version, delta),
                     summed as (insert into fleet_counts (status, current_version, devices)
                                select status, current_version, sum(delta) from moved group by 1, 2
                                on conflict (status, current_version)
                                do update set devices = fleet_counts.devices + excluded.devices
                                returning 1)
                select count(*)::int from moved
                """).query(Integer.class).single();
        jdbc.sql("delete from fleet_counts where devices = 0").update();
        return folded;
    }
}
