package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * Body of {@code POST /api/v1/webhooks}: where to post events, which ones ({@code ["*"]} or none given: every type),
 * and the signing secret (none given: the server makes one and answers it once).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WebhookCreate(
        String url,
        @Nullable String secret,
        @Nullable List<String> events,
        @Nullable String description) {
}
