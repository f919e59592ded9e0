package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * Body of {@code PATCH /api/v1/webhooks/{id}}, a JSON merge patch (RFC 7396): a field left out stays as it is;
 * {@code "enabled": false} stops deliveries (those queued wait until it is enabled again), a new {@code secret}
 * signs every delivery from then on.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WebhookChange(
        @Nullable String url,
        @Nullable List<String> events,
        @Nullable Boolean enabled,
        @Nullable String secret,
        @Nullable String description) {
}
