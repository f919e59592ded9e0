package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A device as the server knows it. {@code update_window} is the nightly window in force for it and where that
 * comes from; {@code current_update} its open update or the last one that ended (null before its first).
 */
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
        Map<String, Object> metadata,
        UpdateWindow updateWindow,
        @Nullable CurrentUpdate currentUpdate) {
}
