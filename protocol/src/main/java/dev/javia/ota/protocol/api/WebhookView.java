package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A webhook subscription as the operator sees it; its secret is never shown again after the creation. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record WebhookView(
        UUID id,
        String url,
        List<String> events,
        @Nullable String description,
        boolean enabled,
        Instant createdAt,
        Instant updatedAt) {
}
