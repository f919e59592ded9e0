package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.DeviceChallenge;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

/**
 * The challenges a device bound to a key signs to register again: one outstanding per device (a newer one replaces
 * it), {@link #LIFETIME} long, taken once. Taking it deletes it in the registration's own transaction, so that of two
 * registrations with the same challenge and signature (a replay, or the same one sent twice) only one finds it.
 */
@Component
class DeviceChallenges {

    static final Duration LIFETIME = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final JdbcClient jdbc;
    private final Clock clock;

    DeviceChallenges(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** A fresh challenge for the device, replacing its outstanding one; empty when it is unknown or has no key. */
    @Transactional
    Optional<DeviceChallenge> issue(String deviceUuid) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String challenge = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant expiresAt = clock.instant().plus(LIFETIME);
        // one statement, which reads the device's row without locking it: asking for a challenge needs no key, and
        // must not queue behind (or hold up) the device's own writes
        int issued = jdbc.sql("""
                        insert into device_challenges (device_id, challenge, expires_at)
                        select id, ?, ? from devices where device_uuid = ? and public_key is not null
                        on conflict (device_id) do update
                            set challenge = excluded.challenge, expires_at = excluded.expires_at""")
                .params(challenge, Timestamp.from(expiresAt), deviceUuid)
                .update();
        return issued == 0 ? Optional.empty() : Optional.of(new DeviceChallenge(deviceUuid, challenge, expiresAt));
    }

    /** Takes the device's outstanding challenge (deleted when the caller's transaction commits); empty for none. */
    @Transactional(propagation = Propagation.MANDATORY)
    Optional<Outstanding> take(UUID deviceId) {
        return jdbc.sql("delete from device_challenges where device_id = ? returning challenge, expires_at")
                .param(deviceId)
                .query((rs, row) -> new Outstanding(rs.getString("challenge"),
                        rs.getTimestamp("expires_at").toInstant()))
                .optional();
    }

    /** Drops the device's outstanding challenge, if any: its key was reset. */
    @Transactional(propagation = Propagation.MANDATORY)
    void drop(UUID deviceId) {
        jdbc.sql("delete from device_challenges where device_id = ?").param(deviceId).update();
    }

    record Outstanding(String challenge, Instant expiresAt) {
    }
}
