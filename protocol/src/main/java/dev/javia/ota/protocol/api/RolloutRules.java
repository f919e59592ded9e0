package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The rules a rollout's reconciler applies by itself.
 *
 * @param soakSeconds           how long each phase runs before it may advance
 * @param successThreshold      the share (0..1) of a phase's devices that must have installed for it to advance;
 *                              devices offline that have not started are not counted
 * @param minFinished           how many of a phase's devices must have finished before it may advance (at most the
 *                              phase's size)
 * @param failureThreshold      the share (0..1) of failed and silent devices among those finished or silent that
 *                              pauses the rollout
 * @param minSample             how many devices must have finished or gone silent before the failure rule judges
 *                              (at most the phase's size)
 * @param installTimeoutSeconds a device that started and has not finished after this long is silent
 * @param maxConcurrent         at most this many of the rollout's devices are offered it and not yet finished at
 *                              once; null: no cap
 * @param autoRollback          when the failure rule pauses the rollout, the devices that installed its version are
 *                              rolled back to the version before it
 * @param requireApproval       nothing starts until an admin other than the creator approves
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RolloutRules(
        long soakSeconds,
        double successThreshold,
        int minFinished,
        double failureThreshold,
        int minSample,
        long installTimeoutSeconds,
        @Nullable Integer maxConcurrent,
        boolean autoRollback,
        boolean requireApproval) {
}
