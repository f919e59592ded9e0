package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Answer to {@code POST /api/v1/webhooks}: the webhook, and its signing secret, which no later answer shows (keep it
 * where the receiver verifies signatures; PATCH a new one if it is lost).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record WebhookCreated(
        WebhookView webhook,
        String secret) {
}
