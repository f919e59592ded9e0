package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;

/**
 * The optional body of a rollout action ({@code POST /api/v1/rollouts/{id}/<action>}); every field may be left out.
 *
 * @param reason    pause, cancel, rollback: the operator's words, kept in the rollout and the audit log
 * @param at        start: when the rollout starts (absent: now)
 * @param toVersion rollback: the published version to go back to (absent: the newest published below the
 *                  rollout's)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RolloutAction(
        @Nullable String reason,
        @Nullable Instant at,
        @Nullable String toVersion) {

    public static final RolloutAction NONE = new RolloutAction(null, null, null);
}
