package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;

/**
 * Answer to {@code GET /api/v1/devices/{uuid}/updates/check}; {@code update} is null when nothing is due.
 * {@code scheduled_for} is when this device may start; for a scheduled update it has not started,
 * {@code window_ends_at} is when that night's window closes: an agent that has not started by then does not start,
 * and its next check gives the next night's turn; null otherwise, and absent from a server before it.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateCheck(
        boolean updateAvailable,
        @Nullable UpdateOffer update,
        @Nullable Instant scheduledFor,
        @Nullable UpdateStatus status,
        int checkIntervalSeconds,
        @Nullable Instant windowEndsAt) {

    /** An answer without a window's end: nothing scheduled is waiting, or a server before it. */
    public UpdateCheck(boolean updateAvailable, UpdateOffer update, Instant scheduledFor, UpdateStatus status,
            int checkIntervalSeconds) {
        this(updateAvailable, update, scheduledFor, status, checkIntervalSeconds, null);
    }
}
