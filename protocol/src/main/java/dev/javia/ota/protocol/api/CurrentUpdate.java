package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.UUID;

/**
 * A device's current update, in its record: the one it has open (pending, downloading, installing), or else the
 * last one that ended (completed, failed), so that a failure's message stays in sight until the next update.
 *
 * @param turnAt          for a scheduled update not yet started, when this device's turn in its window begins;
 *                        otherwise when the update became due
 * @param windowEndsAt    for a scheduled update not yet started, when the window of that turn closes; a device
 *                        that has not started by then waits for the next night
 * @param step            the install step the device last said it runs (while the device is {@code updating})
 * @param progressPercent how far the download has got (while the step is {@code downloading})
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CurrentUpdate(
        UUID updateId,
        String version,
        UpdateType updateType,
        UpdateStatus status,
        Instant scheduledFor,
        Instant turnAt,
        @Nullable Instant windowEndsAt,
        @Nullable String step,
        @Nullable Integer progressPercent,
        @Nullable Instant startedAt,
        @Nullable Instant completedAt,
        @Nullable String errorMessage) {
}
