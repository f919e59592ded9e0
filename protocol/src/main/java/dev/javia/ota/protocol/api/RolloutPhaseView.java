package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.Map;

/**
 * One phase of a rollout and where its devices stand.
 *
 * @param index          from 0
 * @param size           as the operator gave it: a device count ({@code 1}) or a share of the target ({@code 10%});
 *                       phases are cumulative
 * @param plannedDevices how many devices its size gave it when the rollout was created (late joiners come on top)
 * @param devices        how many devices it holds now
 * @param state          {@code done}, {@code open} or {@code waiting}
 * @param statusCounts   its devices by status: the update statuses, {@code queued} (not offered yet: a later phase,
 *                       a pause or the concurrency cap) and {@code not_needed} (already at or above the version)
 * @param silent         devices that started and did not finish in time, or are online and did not start within a
 *                       day of their window
 * @param successShare   installed / judged devices (0..1); null before any device is judged
 * @param failureShare   (failed + silent) / (finished + silent) since the phase opened or the rollout resumed
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RolloutPhaseView(
        int index,
        String size,
        long plannedDevices,
        long devices,
        String state,
        Map<String, Long> statusCounts,
        long silent,
        @Nullable Double successShare,
        @Nullable Double failureShare,
        @Nullable Instant startedAt) {
}
