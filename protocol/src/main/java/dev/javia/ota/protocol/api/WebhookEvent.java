package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * The body the server posts to a webhook. {@code text} is a sentence for people (a Slack or Teams incoming webhook
 * shows it as it is); {@code data} the same facts for programs. {@code id} is the same for every delivery of one
 * event, and repeats when a delivery is retried: receivers drop what they have seen.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record WebhookEvent(
        UUID id,
        String event,
        Instant occurredAt,
        String text,
        Map<String, Object> data) {
}
