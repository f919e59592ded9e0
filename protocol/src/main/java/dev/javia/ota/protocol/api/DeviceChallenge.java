package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;

/**
 * Answer to {@code POST /api/v1/devices/challenge}: a fresh random challenge for a device whose uuid is bound to a
 * key. The device signs it ({@link dev.javia.ota.protocol.trust.DeviceProof}) and registers with the signature
 * before {@code expiresAt}; each challenge is taken once, and a newer one replaces it.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeviceChallenge(String deviceUuid, String challenge, Instant expiresAt) {
}
