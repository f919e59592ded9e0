package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.UUID;

/** One device's progress with one update. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeviceUpdateView(
        UUID id,
        String deviceUuid,
        UUID updateId,
        String version,
        UpdateStatus status,
        Instant scheduledFor,
        @Nullable Instant startedAt,
        @Nullable Instant completedAt,
        @Nullable String errorMessage,
        Instant createdAt,
        Instant updatedAt) {
}
