package dev.javia.ota.server.device;

import dev.javia.ota.server.OtaProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Marks devices offline once their last heartbeat is older than the allowed number of intervals. Several servers
 * may share the database: a transaction-scoped advisory lock lets exactly one of them run each sweep. The sweep
 * reads the table sequentially: last_seen has no index on purpose, so that heartbeats write no index
 * (db/migration/V3).
 */
@Component
public class OfflineSweep {

    private static final Logger log = LoggerFactory.getLogger(OfflineSweep.class);
    /** Arbitrary, fixed: the advisory lock key of this job ("OTA offline" in ASCII). */
    public static final long LOCK_KEY = 0x4f5441_6f66666cL;

    private final JdbcClient jdbc;
    private final Clock clock;
    private final Duration offlineAfter;

    OfflineSweep(JdbcClient jdbc, Clock clock, OtaProperties properties) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.offlineAfter = properties.offlineAfter();
    }

    /** One sweep; answers how many devices it marked offline, or -1 when another server holds the lock. */
    @Transactional
    public int tick() {
        boolean locked = jdbc.sql("select pg_try_advisory_xact_lock(?)").param(LOCK_KEY).query(Boolean.class).single();
        if (!locked) {
            return -1;
        }
        // its rows are locked in the table's order: it takes its turn with the heartbeat flushes (Heartbeats.WRITE_LOCK),
        // or a device silent until just now, in both, could deadlock them
        jdbc.sql("select pg_advisory_xact_lock(?)").param(Heartbeats.WRITE_LOCK).query(rs -> {
        });
        Instant cutoff = clock.instant().minus(offlineAfter);
        int marked = jdbc.sql("update devices set status = 'offline' where status <> 'offline' and last_seen < ?")
                .param(Timestamp.from(cutoff))
                .update();
        if (marked > 0) {
            log.info("marked devices offline count={} silent_since_before={}", marked, cutoff);
        }
        return marked;
    }
}
