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
 * Each device's {@code current_version}, {@code agent_version} and {@code package_format} as this server last wrote
 * them (or read them, for a device it has not written since it started), so that a heartbeat tells without a query
 * whether it reports something new, which is written before the heartbeat is answered (the update check that
 * answers it reads the row: a new agent's format must be there), or the same, which is batched. Every heartbeat
 * write refreshes the entries of the devices it wrote from what the row holds then, also when another server changed
 * it meanwhile; whatever else changes a device here (registration, status reports) forgets its entry. A stale entry
 * can only make a heartbeat be batched that repeats what this server last saw while another server wrote something
 * different (a rollback reported to two servers): that heartbeat is still written within the flush interval.
 *
 * <p>Bounded like the token cache, a fleet's worth; an entry is a key and shared version strings, about 150 bytes.
 */
@Component
class KnownVersions {

    /** Stands for "no version reported yet": the cache holds no nulls. */
    private static final String NONE = "";

    private final JdbcClient jdbc;
    private final Cache<UUID, Known> versions;
    private final Interner<String> shared = Interner.newWeakInterner();

    KnownVersions(JdbcClient jdbc, OtaProperties properties) {
        this.jdbc = jdbc;
        this.versions = Caffeine.newBuilder().maximumSize(properties.tokenCacheSize()).build();
    }

    /**
     * Whether a heartbeat's version, agent version or package format (each null when it says none, which changes
     * nothing) differs from the device's stored one; one indexed read when the device is not known here.
     */
    boolean isNew(UUID deviceId, String version, String agentVersion, Integer packageFormat) {
        if (version == null && agentVersion == null && packageFormat == null) {
            return false;
        }
        Known known = versions.get(deviceId, this::stored);
        return version != null && !version.equals(known.version())
                || agentVersion != null && !agentVersion.equals(known.agentVersion())
                || packageFormat != null && !packageFormat.equals(known.packageFormat());
    }

    void remember(UUID deviceId, String version, String agentVersion, Integer packageFormat) {
        versions.put(deviceId, new Known(intern(version), intern(agentVersion), packageFormat));
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

    private Known stored(UUID deviceId) {
        return jdbc.sql("select current_version, agent_version, package_format from devices where id = ?")
                .param(deviceId)
                .query((rs, row) -> new Known(intern(rs.getString("current_version")),
                        intern(rs.getString("agent_version")), (Integer) rs.getObject("package_format")))
                .optional().orElse(new Known(NONE, NONE, null));
    }

    private String intern(String version) {
        return version == null ? NONE : shared.intern(version);
    }

    /** What the row holds; {@link #NONE} for a version not reported, null for a format not reported. */
    private record Known(String version, String agentVersion, Integer packageFormat) {
    }
}
