package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;

/** Answer to {@code GET /api/v1/devices/{uuid}/updates/check}; {@code update} is null when nothing is due. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateCheck(
        boolean updateAvailable,
        @Nullable UpdateOffer update,
        @Nullable Instant scheduledFor,
        @Nullable UpdateStatus status,
        int checkIntervalSeconds) {
}
