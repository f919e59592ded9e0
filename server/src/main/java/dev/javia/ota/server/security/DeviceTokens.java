package dev.javia.ota.server.security;

import dev.javia.ota.server.web.DatabaseUnavailable;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.javia.ota.server.OtaProperties;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the device a token belongs to, by the token's hash. Every device call starts here, so known tokens are
 * kept in memory; unknown ones are never cached, so that garbage keys cannot fill the cache.
 *
 * <p>A token replaced or revoked on any server instance must stop working on every instance at once, not when
 * its cache entry expires: the instance that changes it sends a notification in the same transaction
 * ({@link #revoked}), and every instance's {@link TokenChannel} evicts the device on receiving it. The cache is
 * only as good as that listener: while it is not listening (at start, after its connection broke) no entry is
 * read or written and every token is looked up, and when it listens again the cache starts empty, since the
 * notifications sent in between are lost.
 */
@Component
public class DeviceTokens {

    /** The PostgreSQL channel of revocations; the payload is the device's id. */
    static final String CHANNEL = "ota_device_tokens";

    private final JdbcClient jdbc;
    private final Cache<String, Caller> known;
    /** The hash cached for each device, so that an eviction is one lookup, not a scan of the whole cache. */
    private final Map<UUID, String> hashByDevice = new ConcurrentHashMap<>();
    /** Guards {@link #evictions} and puts: a lookup that raced an eviction must not put back what was evicted. */
    private final Object writes = new Object();
    private long evictions;
    private volatile boolean listening;

    DeviceTokens(JdbcClient jdbc, OtaProperties properties) {
        this.jdbc = jdbc;
        this.known = Caffeine.newBuilder()
                .maximumSize(properties.tokenCacheSize())
                .expireAfterWrite(properties.tokenCacheTtl())
                .removalListener(this::removed)
                .build();
    }

    /**
     * Caffeine calls this later, on another thread: by then the same token may be cached again (after an expiry), or
     * its entry was only replaced (two lookups at once). Dropping its index entry then would leave a cached token
     * that no revocation finds, so the index entry goes only when the cache no longer holds the token.
     */
    private void removed(String hash, Caller caller, RemovalCause cause) {
        if (hash != null && caller != null && cause != RemovalCause.REPLACED) {
            hashByDevice.computeIfPresent(caller.deviceId(), (device, held) ->
                    held.equals(hash) && known.getIfPresent(hash) == null ? null : held);
        }
    }

    Optional<Caller> find(String tokenHash) {
        if (!listening) {
            try {
                return lookUp(tokenHash);
            } catch (RuntimeException e) {
                // The database does not answer: no revocation can commit where this instance cannot read it, and a
                // listener is down then for that very reason. What was cached before is all there is to know, and
                // it keeps a device's heartbeat seen through the outage (written when it ends).
                Caller cached = DatabaseUnavailable.is(e) ? known.getIfPresent(tokenHash) : null;
                if (cached == null) {
                    throw e;
                }
                return Optional.of(cached);
            }
        }
        Caller cached = known.getIfPresent(tokenHash);
        if (cached != null) {
            return Optional.of(cached);
        }
        long before;
        synchronized (writes) {
            before = evictions;
        }
        Optional<Caller> found = lookUp(tokenHash);
        found.ifPresent(caller -> {
            synchronized (writes) {
                // an eviction since the lookup may concern this very token (its commit raced the query)
                if (listening && evictions == before) {
                    // the entry first, then its index: a late removal listener sees the entry and keeps the index
                    known.put(tokenHash, caller);
                    String previous = hashByDevice.put(caller.deviceId(), tokenHash);
                    if (previous != null && !previous.equals(tokenHash)) {
                        known.invalidate(previous);
                    }
                }
            }
        });
        return found;
    }

    private Optional<Caller> lookUp(String tokenHash) {
        return jdbc.sql("select id, device_uuid from devices where token_hash = ?")
                .param(tokenHash)
                .query((rs, row) -> Caller.device(rs.getObject("id", UUID.class), rs.getString("device_uuid")))
                .optional();
    }

    /**
     * A device's token was replaced or revoked, in the current transaction: this instance forgets it at once, and
     * every instance (this one too) again when the transaction commits (PostgreSQL delivers a notification only
     * then, so that no instance re-reads the old token between the eviction and the commit and keeps it).
     */
    public void revoked(UUID deviceId) {
        forgetDevice(deviceId);
        jdbc.sql("select pg_notify(?, ?)").params(CHANNEL, deviceId.toString()).query(rs -> {
        });
    }

    /**
     * Stop accepting any cached token of the device here, including one whose hash the database no longer holds (an
     * operator may have cleared it by hand).
     */
    public void forgetDevice(UUID deviceId) {
        synchronized (writes) {
            evictions++;
            String hash = hashByDevice.remove(deviceId);
            if (hash != null) {
                known.invalidate(hash);
            }
        }
    }

    /** The listener listens again: what it missed is unknown, so the cache starts empty. */
    void listening() {
        synchronized (writes) {
            evictions++;
            known.invalidateAll();
            hashByDevice.clear();
            listening = true;
        }
    }

    /** The listener stopped listening: every token is looked up until it listens again. */
    void notListening() {
        listening = false;
    }

    /** Whether tokens are cached, i.e. revocations from other instances reach this one. */
    public boolean isListening() {
        return listening;
    }
}
