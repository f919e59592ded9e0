package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A device as the server knows it. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeviceView(
        UUID id,
        String deviceUuid,
        @Nullable String deviceName,
        Instant registeredAt,
        @Nullable Instant lastSeen,
        @Nullable String currentVersion,
        String timezone,
        DeviceStatus status,
        Map<String, Object> metadata) {
}
