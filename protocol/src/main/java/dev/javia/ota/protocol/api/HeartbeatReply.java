package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;

/** Answer to a heartbeat: what the server recorded and when it wants to hear from the device again. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record HeartbeatReply(
        String deviceUuid,
        DeviceStatus status,
        Instant lastSeen,
        int heartbeatIntervalSeconds) {
}
