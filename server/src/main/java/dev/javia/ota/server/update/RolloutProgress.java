package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.DeliveryTotals;
import dev.javia.ota.protocol.api.RolloutKind;
import dev.javia.ota.protocol.api.RolloutPhaseView;
import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutTarget;
import dev.javia.ota.protocol.api.RolloutView;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A rollout as the dashboard draws it: its view as the API answers it ({@link RolloutView}), each phase's bar and
 * the whole rollout's, and its times in words. Public for the templates (and the overview), which read it.
 *
 * @param rollout the rollout as {@code GET /api/v1/rollouts/{id}} answers it
 * @param counted whether its devices were counted: a finished or cancelled rollout in a list is not (counting reads
 *                every device of it), and its bars are then empty
 * @param now     the server's clock when it was read, for "in 2 h"
 */
public record RolloutProgress(RolloutView rollout, boolean counted, Instant now) {

    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** Where a phase's devices stand, in the four groups an operator reads, plus those it does not concern. */
    public record Bar(long succeeded, long failed, long inProgress, long waiting, long skipped) {

        static Bar of(Map<String, Long> counts) {
            return new Bar(get(counts, "completed"), get(counts, "failed"),
                    get(counts, "downloading") + get(counts, "installing"),
                    get(counts, PhaseCounts.QUEUED) + get(counts, "pending"),
                    get(counts, PhaseCounts.NOT_NEEDED) + get(counts, "superseded"));
        }

        Bar plus(Bar other) {
            return new Bar(succeeded + other.succeeded, failed + other.failed, inProgress + other.inProgress,
                    waiting + other.waiting, skipped + other.skipped);
        }

        public long size() {
            return succeeded + failed + inProgress + waiting + skipped;
        }

        /** The segments left to right, each with its share of the bar as an SVG length (CSP allows no style). */
        public List<Segment> segments() {
            List<Segment> segments = new ArrayList<>();
            long size = size();
            if (size == 0) {
                return segments;
            }
            long before = 0;
            long[] values = {succeeded, failed, inProgress, waiting, skipped};
            String[] names = {"succeeded", "failed", "in-progress", "waiting", "skipped"};
            for (int i = 0; i < values.length; i++) {
                if (values[i] > 0) {
                    segments.add(new Segment(names[i], values[i], percent(before, size), percent(values[i], size)));
                }
                before += values[i];
            }
            return segments;
        }

        /** The bar in words, for a screen reader and the eye: "3 of 10 installed, 1 failed, ...". */
        public String text() {
            StringBuilder text = new StringBuilder(succeeded + " of " + size() + " installed");
            if (failed > 0) {
                text.append(", ").append(failed).append(" failed");
            }
            if (inProgress > 0) {
                text.append(", ").append(inProgress).append(" in progress");
            }
            if (waiting > 0) {
                text.append(", ").append(waiting).append(" waiting");
            }
            if (skipped > 0) {
                text.append(", ").append(skipped).append(" not needed or withdrawn");
            }
            return text.toString();
        }

        private static String percent(long part, long whole) {
            return String.format(Locale.ROOT, "%.2f%%", 100.0 * part / whole);
        }

        private static long get(Map<String, Long> counts, String key) {
            return counts.getOrDefault(key, 0L);
        }
    }

    /** One segment of a bar: its kind (the CSS class), its devices, and where it starts and how wide it is. */
    public record Segment(String kind, long devices, String x, String width) {
    }

    /** One phase: its place, its size as given, its state and its bar. */
    public record Phase(int number, String size, long plannedDevices, String state, Bar bar, long silent,
            Instant startedAt) {

        public String startedAtUtc() {
            return utc(startedAt);
        }
    }

    /** The failed devices that gave one error message: how many, and the first of them (newest failure first). */
    public record Failure(String message, long devices, List<FailedDevice> shown) {

        /** How many more devices gave this message than are shown. */
        public long more() {
            return devices - shown.size();
        }
    }

    /** A failed device as the failures list names it. */
    public record FailedDevice(String uuid, String name, Instant failedAt) {

        public String failedAtUtc() {
            return utc(failedAt);
        }
    }

    public List<Phase> phases() {
        List<Phase> phases = new ArrayList<>();
        for (RolloutPhaseView phase : rollout.phases()) {
            phases.add(new Phase(phase.index() + 1, phase.size(), phase.plannedDevices(), phase.state(),
                    Bar.of(phase.statusCounts()), phase.silent(), phase.startedAt()));
        }
        return phases;
    }

    /** Every phase's devices together. */
    public Bar total() {
        Bar total = new Bar(0, 0, 0, 0, 0);
        for (RolloutPhaseView phase : rollout.phases()) {
            total = total.plus(Bar.of(phase.statusCounts()));
        }
        return total;
    }

    /** The rollout's devices by status (as the API names them), over all its phases, and the silent ones. */
    public Map<String, Long> statusCounts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String category : PhaseCounts.CATEGORIES) {
            counts.put(category, rollout.phases().stream()
                    .mapToLong(phase -> phase.statusCounts().getOrDefault(category, 0L)).sum());
        }
        counts.put("silent", rollout.phases().stream().mapToLong(RolloutPhaseView::silent).sum());
        return counts;
    }

    /**
     * What its devices downloaded, in words: "downloaded 1.2 MB of 48.0 MB (97% saved), 6 devices by delta", with the
     * installed devices that did not say (agents before deltas); null when it was not counted.
     */
    public String deliveryText() {
        DeliveryTotals delivery = rollout.delivery();
        if (delivery == null) {
            return null;
        }
        long unknown = Math.max(0, total().succeeded() - delivery.devices());
        String unsaid = unknown == 0 ? "" : "; " + unknown + (unknown == 1 ? " device" : " devices")
                + " did not say (agents before deltas)";
        if (delivery.devices() == 0) {
            return "nothing reported yet" + unsaid;
        }
        return "downloaded " + bytes(delivery.downloadedBytes()) + " of " + bytes(delivery.fullBytes()) + " ("
                + delivery.savedPercent() + "% saved), " + delivery.deltaDevices()
                + (delivery.deltaDevices() == 1 ? " device" : " devices") + " by delta" + unsaid;
    }

    /** A size as an operator reads it: 512 B, 2.2 KB, 48.0 MB, 1.3 GB (powers of 1,000). */
    static String bytes(long count) {
        if (count < 1_000) {
            return count + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB"};
        double value = count;
        int unit = -1;
        while (value >= 1_000 && unit < units.length - 1) {
            value /= 1_000;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    public long failed() {
        return rollout.phases().stream().mapToLong(phase -> phase.statusCounts().getOrDefault("failed", 0L)).sum();
    }

    public String id() {
        return rollout.id().toString();
    }

    public String state() {
        return rollout.state().wire();
    }

    /** "awaiting approval", "running", ... */
    public String stateText() {
        return rollout.state().wire().replace('_', ' ');
    }

    public boolean isFinal() {
        return rollout.state().isFinal();
    }

    public boolean isPaused() {
        return rollout.state() == RolloutState.PAUSED;
    }

    public boolean isRollback() {
        return rollout.kind() == RolloutKind.ROLLBACK;
    }

    /** "phase 2 of 3" */
    public String phaseText() {
        return "phase " + (rollout.currentPhase() + 1) + " of " + rollout.phases().size();
    }

    /**
     * When it started (null: not yet). The view keeps only its open phase's start: past the first phase, it started
     * when it was created, approved or due, whichever came last.
     */
    public Instant startedAt() {
        if (rollout.currentPhase() == 0) {
            return rollout.phases().get(0).startedAt();
        }
        Instant started = rollout.createdAt();
        for (Instant at : new Instant[] {rollout.approvedAt(), rollout.startAt()}) {
            if (at != null && at.isAfter(started)) {
                started = at;
            }
        }
        return started;
    }

    /** How long until the next step may come, in words ("in 1 h 59 min"), or null when it waits for no time. */
    public String nextAtRelative() {
        Instant at = rollout.nextAt();
        if (at == null) {
            return null;
        }
        if (!at.isAfter(now)) {
            return "now (at the reconciler's next tick)";
        }
        Duration left = Duration.between(now, at);
        if (left.toDays() > 0) {
            return "in " + left.toDays() + " d " + left.toHoursPart() + " h";
        }
        if (left.toHoursPart() > 0) {
            return "in " + left.toHoursPart() + " h " + left.toMinutesPart() + " min";
        }
        return left.toMinutesPart() > 0 ? "in " + left.toMinutesPart() + " min" : "in less than a minute";
    }

    public String createdAtUtc() {
        return utc(rollout.createdAt());
    }

    public String startedAtUtc() {
        return utc(startedAt());
    }

    public String nextAtUtc() {
        return utc(rollout.nextAt());
    }

    public String finishedAtUtc() {
        return utc(rollout.finishedAt());
    }

    public String approvedAtUtc() {
        return utc(rollout.approvedAt());
    }

    public String startAtUtc() {
        return utc(rollout.startAt());
    }

    /** Its phases' sizes as given: "1, 10%, 100%". */
    public String phaseSizes() {
        return String.join(", ", rollout.phases().stream().map(RolloutPhaseView::size).toList());
    }

    /** Its target in words. */
    public String targetText() {
        RolloutTarget target = rollout.target();
        if (target.isEveryone()) {
            return "every device";
        }
        List<String> parts = new ArrayList<>();
        if (target.deviceUuids() != null) {
            parts.add(target.deviceUuids().size() + " listed devices");
        }
        if (target.version() != null) {
            parts.add("on " + target.version());
        }
        if (target.status() != null) {
            parts.add(target.status().wire());
        }
        if (target.timezone() != null) {
            parts.add("in " + target.timezone());
        }
        if (target.metadata() != null) {
            target.metadata().forEach((key, value) -> parts.add(key + "=" + value));
        }
        return String.join(", ", parts);
    }

    public String successThresholdText() {
        return RolloutJudge.percent(rollout.rules().successThreshold());
    }

    public String failureThresholdText() {
        return RolloutJudge.percent(rollout.rules().failureThreshold());
    }

    public String soakText() {
        return duration(rollout.rules().soakSeconds());
    }

    public String installTimeoutText() {
        return duration(rollout.rules().installTimeoutSeconds());
    }

    private static String duration(long seconds) {
        if (seconds == 0) {
            return "none";
        }
        Duration duration = Duration.ofSeconds(seconds);
        StringBuilder text = new StringBuilder();
        if (duration.toDays() > 0) {
            text.append(duration.toDays()).append(" d ");
        }
        if (duration.toHoursPart() > 0) {
            text.append(duration.toHoursPart()).append(" h ");
        }
        if (duration.toMinutesPart() > 0) {
            text.append(duration.toMinutesPart()).append(" min ");
        }
        if (duration.toSecondsPart() > 0) {
            text.append(duration.toSecondsPart()).append(" s");
        }
        return text.toString().strip();
    }

    /** An instant as the pages print it before the browser shows it in the operator's zone: UTC, said so. */
    static String utc(Instant at) {
        return at == null ? null : UTC.format(at);
    }
}
