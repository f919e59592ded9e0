package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;


/**
 * Answer to {@code POST /api/v1/updates/create}: the update, how many devices its first phase was offered to, and its
 * rollout (null from a server older than rollouts).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateCreated(
        UpdateView update,
        int scheduledDevices,
        @Nullable RolloutView rollout) {
}
