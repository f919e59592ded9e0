package dev.javia.ota.server.device;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Interner;
import dev.javia.ota.server.OtaProperties;
import dev.javia.ota.server.events.FleetEvent;
import dev.javia.ota.server.events.FleetEvents;
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
 * it meanwhile; whatever else changes a device here (registration, status reports) forgets its entry.
 *
 * <p>Another instance's change of those columns (a heartbeat or a report it received) is announced by the devices'
 * trigger (db/migration/V17) as a {@link FleetEvent.Kind#DEVICE} event, on which every instance forgets the device:
 * an entry that said "format 1" while another instance wrote format 2 would otherwise batch the old agent's next
 * heartbeat here, and the check that answers it would read format 2 from the row and offer the old agent a package
 * it cannot read. Caffeine waits for a read of the row that is under way before it drops the entry, so an event
 * never loses to the read it raced. When the listener listens again, what it missed is unknown: every entry goes.
 * While it does not listen, an entry can be stale, which only makes a heartbeat be batched that another instance's
 * change made new: it is still written within the flush interval.
 *
 * <p>Keyed by the device's uuid (its events name it so), bounded like the token cache, a fleet's worth; an entry is a
 * key and shared version strings, about 150 bytes.
 */
@Component
class KnownVersions {

    /** Stands for "no version reported yet": the cache holds no nulls. */
    private static final String NONE = "";

    private final JdbcClient jdbc;
    private final Cache<UUID, Known> versions;
    private final Interner<String> shared = Interner.newWeakInterner();

    KnownVersions(JdbcClient jdbc, OtaProperties properties, FleetEvents events) {
        this.jdbc = jdbc;
        this.versions = Caffeine.newBuilder().maximumSize(properties.tokenCacheSize()).build();
        events.follow(this::changed);
    }

    /**
     * Whether a heartbeat's version, agent version or package format (each null when it says none, which changes
     * nothing) differs from the device's stored one; one indexed read when the device is not known here.
     */
    boolean isNew(String deviceUuid, String version, String agentVersion, Integer packageFormat) {
        if (version == null && agentVersion == null && packageFormat == null) {
            return false;
        }
        Known known = versions.get(key(deviceUuid), this::stored);
        return version != null && !version.equals(known.version())
                || agentVersion != null && !agentVersion.equals(known.agentVersion())
                || packageFormat != null && !packageFormat.equals(known.packageFormat());
    }

    void remember(String deviceUuid, String version, String agentVersion, Integer packageFormat) {
        versions.put(key(deviceUuid), new Known(intern(version), intern(agentVersion), packageFormat));
    }

    /** Something other than a heartbeat changes the device: its next heartbeat reads the row again. */
    void forget(String deviceUuid) {
        UUID key = key(deviceUuid);
        versions.invalidate(key);
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            // also once the change is committed (or not): a heartbeat may read the old row meanwhile
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    versions.invalidate(key);
                }
            });
        }
    }

    /** A device's record changed on some instance, or the listener listens again (everything may have). */
    private void changed(FleetEvent event) {
        switch (event.kind()) {
            case DEVICE -> {
                if (event.id() != null) {
                    try {
                        versions.invalidate(key(event.id()));
                    } catch (IllegalArgumentException e) {
                        // not a device uuid (the triggers send nothing else): forget all rather than keep a stale one
                        versions.invalidateAll();
                    }
                }
            }
            case RESYNC -> versions.invalidateAll();
            default -> {
                // rollouts, updates, webhooks and a phase's offers (FLEET) do not touch these columns
            }
        }
    }

    private Known stored(UUID deviceUuid) {
        return jdbc.sql("select current_version, agent_version, package_format from devices where device_uuid = ?")
                .param(deviceUuid.toString())
                .query((rs, row) -> new Known(intern(rs.getString("current_version")),
                        intern(rs.getString("agent_version")), (Integer) rs.getObject("package_format")))
                .optional().orElse(new Known(NONE, NONE, null));
    }

    /** The uuid as the key: 32 bytes where its text would take 80; device uuids are stored in lowercase. */
    private static UUID key(String deviceUuid) {
        return UUID.fromString(deviceUuid);
    }

    private String intern(String version) {
        return version == null ? NONE : shared.intern(version);
    }

    /** What the row holds; {@link #NONE} for a version not reported, null for a format not reported. */
    private record Known(String version, String agentVersion, Integer packageFormat) {
    }
}
