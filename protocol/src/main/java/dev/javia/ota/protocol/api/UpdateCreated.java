package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;


/** Answer to {@code POST /api/v1/updates/create}: the update and how many devices it was scheduled for. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateCreated(
        UpdateView update,
        int scheduledDevices) {
}
