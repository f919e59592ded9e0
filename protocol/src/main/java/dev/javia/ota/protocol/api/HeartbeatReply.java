package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;

/**
 * Answer to a heartbeat: what the server recorded, when it wants to hear from the device again, and the answer an
 * update check would give at this moment ({@code update_check}), so that one request every five minutes does both.
 * {@code update_check} is null from a server that does not combine them: the device then asks the check itself.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record HeartbeatReply(
        String deviceUuid,
        DeviceStatus status,
        Instant lastSeen,
        int heartbeatIntervalSeconds,
        @Nullable UpdateCheck updateCheck) {

    public HeartbeatReply withUpdateCheck(UpdateCheck check) {
        return new HeartbeatReply(deviceUuid, status, lastSeen, heartbeatIntervalSeconds, check);
    }
}
