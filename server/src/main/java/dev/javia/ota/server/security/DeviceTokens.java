package dev.javia.ota.server.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.javia.ota.server.OtaProperties;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.util.Optional;
import java.util.UUID;

/**
 * Finds the device a token belongs to, by the token's hash. Every device call starts here, so known tokens are
 * kept in memory; unknown ones are never cached, so that garbage keys cannot fill the cache.
 */
@Component
public class DeviceTokens {

    private final JdbcClient jdbc;
    private final Cache<String, Caller> known;

    DeviceTokens(JdbcClient jdbc, OtaProperties properties) {
        this.jdbc = jdbc;
        this.known = Caffeine.newBuilder()
                .maximumSize(properties.tokenCacheSize())
                .expireAfterWrite(properties.tokenCacheTtl())
                .build();
    }

    Optional<Caller> find(String tokenHash) {
        Caller cached = known.getIfPresent(tokenHash);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<Caller> found = jdbc.sql("select id, device_uuid from devices where token_hash = ?")
                .param(tokenHash)
                .query((rs, row) -> Caller.device(rs.getObject("id", UUID.class), rs.getString("device_uuid")))
                .optional();
        found.ifPresent(caller -> known.put(tokenHash, caller));
        return found;
    }

    /**
     * A device's token was replaced: stop accepting any older one here at once, including one whose hash the
     * database no longer holds (an operator may have cleared it by hand).
     */
    public void forgetDevice(UUID deviceId) {
        known.asMap().values().removeIf(caller -> deviceId.equals(caller.deviceId()));
    }
}
