package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** One page of {@code GET /api/v1/webhooks/{id}/deliveries}, the newest first. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record WebhookDeliveryPage(
        List<WebhookDeliveryView> deliveries,
        int page,
        int size,
        long totalElements,
        int totalPages) {
}
