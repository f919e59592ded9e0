package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Answer to {@code GET /api/v1/devices/{uuid}/wait?cursor=...} ({@link ApiPaths#deviceWait}). {@code check_now}
 * true: what the server offers the device changed since the cursor (an update published, a phase opened, a rollout
 * resumed, an operator's action), and the device runs its normal update check at once; the check's answer has the
 * offer and the next cursor. False: the hold ended with nothing new, and the device waits again with {@code cursor}
 * (the one it sent). {@code wait_again_seconds} is how soon it may: 0 at once.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeviceWake(
        boolean checkNow,
        String cursor,
        int waitAgainSeconds) {
}
