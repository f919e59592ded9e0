package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.Map;

/** Body of {@code POST /api/v1/devices/{uuid}/heartbeat}; every field is optional. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Heartbeat(
        String currentVersion,
        DeviceStatus status,
        Map<String, Object> metadata) {
}
