package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.Map;

/** Body of {@code POST /api/v1/devices/register}: who the device is and where it lives. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RegisterDevice(
        String deviceUuid,
        String deviceName,
        String timezone,
        String currentVersion,
        Map<String, Object> metadata) {
}
