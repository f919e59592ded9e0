package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;


/** Body of {@code POST /api/v1/updates/{id}/status}: a device reports a step of an update. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record StatusReport(
        String deviceUuid,
        UpdateStatus status,
        String errorMessage) {
}
