package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;

/**
 * Answer to {@code GET /api/v1/devices/{uuid}/updates/check}; {@code update} is null when nothing is due.
 * {@code scheduled_for} is when this device may start; for a scheduled update it has not started,
 * {@code window_ends_at} is when that night's window closes: an agent that has not started by then does not start,
 * and its next check gives the next night's turn; null otherwise, and absent from a server before it.
 * {@code push_cursor} names what the server offers this device at this moment: an agent that holds
 * {@code GET /api/v1/devices/{uuid}/wait?cursor=...} ({@link ApiPaths#deviceWait}) with it is answered as soon as
 * that changes, also when it changed between this answer and the wait. Null from a server without the wait (an
 * agent then only polls); an agent before it ignores it.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateCheck(
        boolean updateAvailable,
        @Nullable UpdateOffer update,
        @Nullable Instant scheduledFor,
        @Nullable UpdateStatus status,
        int checkIntervalSeconds,
        @Nullable Instant windowEndsAt,
        @Nullable String pushCursor) {

    /** An answer without a window's end: nothing scheduled is waiting, or a server before it. */
    public UpdateCheck(boolean updateAvailable, UpdateOffer update, Instant scheduledFor, UpdateStatus status,
            int checkIntervalSeconds) {
        this(updateAvailable, update, scheduledFor, status, checkIntervalSeconds, null, null);
    }

    /** An answer without a push cursor: a server before the wait. */
    public UpdateCheck(boolean updateAvailable, UpdateOffer update, Instant scheduledFor, UpdateStatus status,
            int checkIntervalSeconds, Instant windowEndsAt) {
        this(updateAvailable, update, scheduledFor, status, checkIntervalSeconds, windowEndsAt, null);
    }

    /** The same answer with the server's push cursor. */
    public UpdateCheck withPushCursor(String cursor) {
        return new UpdateCheck(updateAvailable, update, scheduledFor, status, checkIntervalSeconds, windowEndsAt,
                cursor);
    }
}
