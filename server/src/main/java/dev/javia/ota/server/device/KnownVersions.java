package dev.javia.ota.server.device;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Interner;
import dev.javia.ota.server.OtaProperties;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.util.UUID;

/**
 * Each device's {@code current_version} as this server last wrote it (or read it, for a device it has not written
 * since it started), so that a heartbeat tells without a query whether it reports a new version, which is written
 * before the heartbeat is answered, or the same one, which is batched. Every heartbeat write refreshes the entries
 * of the devices it wrote from what the row holds then, also when another server changed it meanwhile; whatever
 * else changes a device here (registration, status reports) forgets its entry. A stale entry can only make a
 * heartbeat be batched that repeats the version this server last saw while another server wrote a different one
 * (a rollback reported to two servers): that heartbeat is still written within the flush interval.
 *
 * <p>Bounded like the token cache, a fleet's worth; an entry is a key and a shared version string, about 120 bytes.
 */
@Component
class KnownVersions {

    /** Stands for "no version reported yet": the cache holds no nulls. */
    private static final String NONE = "";

    private final JdbcClient jdbc;
    private final Cache<UUID, String> versions;
    private final Interner<String> shared = Interner.newWeakInterner();

    KnownVersions(JdbcClient jdbc, OtaProperties properties) {
        this.jdbc = jdbc;
        this.versions = Caffeine.newBuilder().maximumSize(properties.tokenCacheSize()).build();
    }

    /** Whether {@code reported} differs from the device's stored version; one indexed read when not known here. */
    boolean isNew(UUID deviceId, String reported) {
        return !reported.equals(versions.get(deviceId, this::stored));
    }

    void remember(UUID deviceId, String version) {
        versions.put(deviceId, version == null ? NONE : shared.intern(version));
    }

    /** Something other than a heartbeat changes the device: its next heartbeat reads the row again. */
    void forget(UUID deviceId) {
        versions.invalidate(deviceId);
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            // also once the change is committed (or not): a heartbeat may read the old row meanwhile
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    versions.invalidate(deviceId);
                }
            });
        }
    }

    private String stored(UUID deviceId) {
        String version = jdbc.sql("select current_version from devices where id = ?").param(deviceId)
                .query(String.class).optional().orElse(null);
        return version == null ? NONE : shared.intern(version);
    }
}
