package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.UUID;

/**
 * One event's delivery to one webhook: how many attempts, what the receiver last answered ({@code last_status},
 * null when it could not be reached) or why it failed ({@code last_error}), and when the next attempt is due while
 * it is pending.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record WebhookDeliveryView(
        UUID id,
        UUID eventId,
        String event,
        DeliveryStatus status,
        int attempts,
        @Nullable Integer lastStatus,
        @Nullable String lastError,
        Instant createdAt,
        @Nullable Instant nextAttemptAt,
        @Nullable Instant deliveredAt) {
}
