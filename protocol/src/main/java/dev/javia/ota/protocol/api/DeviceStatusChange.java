package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;


/** Body of {@code PATCH /api/v1/devices/{uuid}/status}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeviceStatusChange(
        DeviceStatus status,
        String currentVersion) {
}
