package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.RolloutRules;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the devices of one phase of a rollout stand, and the shares its rules judge.
 *
 * @param categories      devices by update status, plus {@code queued} (not offered yet) and {@code not_needed}
 * @param silent          started and not finished within the install timeout, or online and not started a day after
 *                        their window
 * @param offlineUnstarted offline and not started: they cannot be judged until they come back
 * @param failedSince     failed since the phase opened or the rollout resumed
 * @param completedSince  installed since then
 * @param windowsEnd      when the last of its offered devices' install windows ends (null: none offered)
 */
record PhaseCounts(int phase, Map<String, Long> categories, long silent, long offlineUnstarted, long failedSince,
        long completedSince, Instant windowsEnd) {

    static final String QUEUED = "queued";
    static final String NOT_NEEDED = "not_needed";
    /** Every category, as PhaseTally counts them: queued, not needed, and each status of an offer. */
    static final List<String> CATEGORIES = List.of(QUEUED, NOT_NEEDED, "pending", "downloading", "installing",
            "completed", "failed", "superseded");

    static PhaseCounts empty(int phase) {
        return new PhaseCounts(phase, new TreeMap<>(), 0, 0, 0, 0, null);
    }

    long count(String category) {
        return categories.getOrDefault(category, 0L);
    }

    long devices() {
        return categories.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The devices the success share is taken over: those that need the update and can be judged now. */
    long judged() {
        return Math.max(0, devices() - count(NOT_NEEDED) - count("superseded") - offlineUnstarted);
    }

    long finished() {
        return count("completed") + count("failed");
    }

    Double successShare() {
        long judged = judged();
        return judged == 0 ? null : (double) count("completed") / judged;
    }

    /** How many devices the failure rule judges: finished since the phase opened or the resume, and the silent. */
    long failureSample() {
        return failedSince + completedSince + silent;
    }

    Double failureShare() {
        long sample = failureSample();
        return sample == 0 ? null : (double) (failedSince + silent) / sample;
    }

    /** The failure rule: enough devices judged, and too many of them failed or silent. */
    boolean failing(RolloutRules rules) {
        long needed = Math.max(1, Math.min(rules.minSample(), devices() - count(NOT_NEEDED) - count("superseded")));
        Double share = failureShare();
        return failureSample() >= needed && share != null && failedSince + silent > 0
                && share >= rules.failureThreshold();
    }

    /** The success rule, without the soak and the windows: enough devices finished, and enough of them installed. */
    boolean succeeding(RolloutRules rules) {
        Double share = successShare();
        long needed = Math.max(1, Math.min(rules.minFinished(), judged()));
        return share != null && finished() >= needed && share >= rules.successThreshold();
    }

    /** The columns of a row of PhaseTally's count, or of rollout_tallies: the same names. */
    static PhaseCounts read(ResultSet rs) throws SQLException {
        Map<String, Long> categories = new TreeMap<>();
        for (String category : CATEGORIES) {
            long devices = rs.getLong(category);
            if (devices > 0) {
                categories.put(category, devices);
            }
        }
        Timestamp end = rs.getTimestamp("windows_end");
        return new PhaseCounts(rs.getInt("phase"), categories, rs.getLong("silent"), rs.getLong("offline_unstarted"),
                rs.getLong("failed_since"), rs.getLong("completed_since"), end == null ? null : end.toInstant());
    }
}
