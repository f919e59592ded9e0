package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** One page of {@code GET /api/v1/rollouts}, newest first, shaped as {@link DevicePage}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RolloutPage(
        List<RolloutView> rollouts,
        int page,
        int size,
        long totalElements,
        int totalPages) {
}
