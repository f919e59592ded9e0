package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** One page of {@code GET /api/v1/webhooks}, the newest first. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record WebhookPage(
        List<WebhookView> webhooks,
        int page,
        int size,
        long totalElements,
        int totalPages) {
}
