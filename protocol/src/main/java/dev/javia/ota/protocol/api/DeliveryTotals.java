package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * What an update's (or a rollout's) devices downloaded, as their completed reports say, against what the whole
 * package would have cost them: the saving deltas made.
 *
 * @param devices         devices whose report says what they downloaded
 * @param downloadedBytes what they downloaded, deltas and packages (and a delta tried before a fallback)
 * @param fullBytes       what they would have downloaded as whole packages: devices × the package's size
 * @param deltaDevices    of them, those that installed from a delta
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeliveryTotals(long devices, long downloadedBytes, long fullBytes, long deltaDevices) {

    public static final DeliveryTotals NONE = new DeliveryTotals(0, 0, 0, 0);

    /** The bytes not downloaded thanks to deltas (never below zero: a failed delta can cost more than it saved). */
    public long savedBytes() {
        return Math.max(0, fullBytes - downloadedBytes);
    }

    /** {@link #savedBytes()} as a whole percentage of {@link #fullBytes()}; 0 when nothing was downloaded. */
    public int savedPercent() {
        return fullBytes == 0 ? 0 : (int) (savedBytes() * 100 / fullBytes);
    }
}
