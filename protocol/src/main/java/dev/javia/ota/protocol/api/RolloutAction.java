package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.javia.ota.protocol.trust.RollbackStatement;
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
 * @param statement rollback: the publisher's signed statement that devices may go back
 *                  ({@code create_update.sh rollout rollback ID --to vX --sign-key KEY}); required when the server
 *                  has publisher keys, and handed on with every offer of the rollback. Added with statements, so
 *                  left out of the JSON when null.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RolloutAction(
        @Nullable String reason,
        @Nullable Instant at,
        @Nullable String toVersion,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable RollbackStatement.Signed statement) {

    public static final RolloutAction NONE = new RolloutAction(null, null, null, null);

    /** An action without a statement, as operators before statements sent it. */
    public RolloutAction(String reason, Instant at, String toVersion) {
        this(reason, at, toVersion, null);
    }
}
