package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.RolloutPhaseView;
import dev.javia.ota.protocol.api.RolloutRules;
import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutTarget;
import dev.javia.ota.protocol.api.RolloutView;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A rollout as text for a person: the line create_update prints after publishing, javia-ota's table of rollouts,
 * and one rollout in full with a progress bar per phase. Bars only where a person watches a terminal; in a log or
 * a pipe (or with {@code NO_COLOR}) the same figures without them. Phases are counted from 1, as people count.
 */
final class RolloutText {

    static final int BAR_WIDTH = 20;

    private RolloutText() {
    }

    /** What create_update adds after publishing: the rollout, its phases, and what happens next. */
    static List<String> summary(RolloutView rollout) {
        return List.of(
                "  rollout  " + rollout.id() + "  " + state(rollout.state()) + ", phases "
                        + rollout.phases().stream().map(RolloutPhaseView::size).collect(Collectors.joining(", ")),
                "  next     " + next(rollout, null));
    }

    /** javia-ota rollouts: one line per rollout under a header, newest first as the server lists them. */
    static List<String> table(List<RolloutView> rollouts) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"ID", "VERSION", "KIND", "STATE", "PHASE", "INSTALLED", "FAILED", "CREATED"});
        for (RolloutView rollout : rollouts) {
            Figures all = Figures.of(rollout.phases());
            rows.add(new String[]{String.valueOf(rollout.id()), rollout.version(), rollout.kind().wire(),
                    rollout.state().wire(), phasePosition(rollout), all.installed + "/" + all.needing,
                    String.valueOf(all.failed), time(rollout.createdAt())});
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : pad(row[i], widths[i] + 2));
            }
            lines.add(line.toString().stripTrailing());
        }
        return lines;
    }

    /** javia-ota rollout: everything an operator needs to decide the next step. */
    static List<String> detail(RolloutView rollout, boolean bars, Instant now) {
        List<String> lines = new ArrayList<>();
        lines.add("rollout " + rollout.id() + "  " + rollout.version() + " (" + rollout.kind().wire() + ")");
        String state = state(rollout.state());
        if (rollout.pausedReason() != null && rollout.state() == RolloutState.PAUSED) {
            // "paused: paused by admin" says it twice
            state += ": " + rollout.pausedReason().replaceFirst("^paused ", "");
        }
        lines.add("  state     " + state);
        lines.add("  next      " + next(rollout, now));
        lines.add("  target    " + target(rollout.target()));
        List<String> rules = rules(rollout.rules());
        lines.add("  rules     " + String.join("; ", rules.subList(0, 3)));
        lines.add("            " + String.join("; ", rules.subList(3, rules.size())));
        lines.add("  created   " + time(rollout.createdAt()) + " by " + rollout.createdBy());
        if (rollout.approvedAt() != null) {
            lines.add("  approved  " + time(rollout.approvedAt()) + " by " + rollout.approvedBy());
        }
        if (rollout.startAt() != null) {
            lines.add("  starts    " + time(rollout.startAt()));
        }
        if (rollout.finishedAt() != null) {
            lines.add("  ended     " + time(rollout.finishedAt()));
        }
        if (rollout.rollbackOf() != null) {
            lines.add("  undoes    rollout " + rollout.rollbackOf());
        }
        if (rollout.rolledBackBy() != null) {
            lines.add("  undone by rollout " + rollout.rolledBackBy() + " (javia-ota rollout " + rollout.rolledBackBy()
                    + ")");
        }
        int sizeWidth = rollout.phases().stream().mapToInt(phase -> phase.size().length()).max().orElse(0);
        for (RolloutPhaseView phase : rollout.phases()) {
            lines.add(phaseLine(phase, sizeWidth, bars));
        }
        return lines;
    }

    /** {@code phase 2  10%  [#######.............]  35/50 installed, 2 failed, 1 silent  open}. */
    static String phaseLine(RolloutPhaseView phase, int sizeWidth, boolean bar) {
        Figures figures = Figures.of(List.of(phase));
        StringBuilder line = new StringBuilder("phase ").append(phase.index() + 1).append("  ")
                .append(pad(phase.size(), sizeWidth)).append("  ");
        if (bar) {
            int filled = figures.needing == 0 ? (figures.notNeeded > 0 ? BAR_WIDTH : 0)
                    : (int) (figures.installed * BAR_WIDTH / figures.needing);
            line.append('[').append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("]  ");
        }
        line.append(figures.installed).append('/').append(figures.needing).append(" installed, ")
                .append(figures.failed).append(" failed, ").append(phase.silent()).append(" silent");
        if (figures.notNeeded > 0) {
            line.append(", ").append(figures.notNeeded).append(" already newer");
        }
        return line.append("  ").append(phase.state()).toString();
    }

    private static String phasePosition(RolloutView rollout) {
        int phases = rollout.phases().size();
        int current = rollout.state() == RolloutState.FINISHED ? phases : Math.min(rollout.currentPhase() + 1, phases);
        return current + " of " + phases;
    }

    private static String state(RolloutState state) {
        return state.wire().replace('_', ' ');
    }

    /** The server's sentence, with when it comes (and how soon, given the time now) unless it says so itself. */
    private static String next(RolloutView rollout, Instant now) {
        if (rollout.nextAt() == null) {
            return rollout.next();
        }
        List<String> when = new ArrayList<>();
        if (!rollout.next().contains(rollout.nextAt().toString())) {
            when.add("at " + time(rollout.nextAt()));
        }
        if (now != null) {
            Duration until = Duration.between(now, rollout.nextAt());
            when.add(until.isNegative() || until.isZero() ? "due now" : "in " + Durations.format(until.toSeconds()));
        }
        return when.isEmpty() ? rollout.next() : rollout.next() + " (" + String.join(", ", when) + ")";
    }

    private static String target(RolloutTarget target) {
        if (target == null || target.isEveryone()) {
            return "every device";
        }
        if (target.deviceUuids() != null) {
            return target.deviceUuids().size() + (target.deviceUuids().size() == 1 ? " device: " : " devices: ")
                    + String.join(", ", target.deviceUuids());
        }
        List<String> filters = new ArrayList<>();
        if (target.version() != null) {
            filters.add("version " + target.version());
        }
        if (target.status() != null) {
            filters.add("status " + target.status().wire());
        }
        if (target.timezone() != null) {
            filters.add("timezone " + target.timezone());
        }
        if (target.metadata() != null && !target.metadata().isEmpty()) {
            filters.add("metadata " + target.metadata().entrySet().stream()
                    .map(entry -> entry.getKey() + "=" + entry.getValue()).collect(Collectors.joining(",")));
        }
        return "devices with " + String.join(", ", filters);
    }

    private static List<String> rules(RolloutRules rules) {
        List<String> parts = new ArrayList<>(List.of(
                rules.soakSeconds() == 0 ? "no soak" : "soak " + Durations.format(rules.soakSeconds()) + " per phase",
                "advance at " + share(rules.successThreshold()) + " installed (" + rules.minFinished()
                        + " finished at least)",
                "pause at " + share(rules.failureThreshold()) + " failed or silent (judged from " + rules.minSample()
                        + ")",
                "silent after " + Durations.format(rules.installTimeoutSeconds()),
                rules.maxConcurrent() == null ? "no cap on devices at once"
                        : "at most " + rules.maxConcurrent() + " at once",
                "auto-rollback " + (rules.autoRollback() ? "on" : "off")));
        if (rules.requireApproval()) {
            parts.add("needs a second admin's approval");
        }
        return parts;
    }

    static String share(double share) {
        return BigDecimal.valueOf(share).movePointRight(2).setScale(1, RoundingMode.HALF_UP).stripTrailingZeros()
                .toPlainString() + "%";
    }

    private static String time(Instant instant) {
        return instant == null ? "-" : instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text : text + " ".repeat(width - text.length());
    }

    /** A phase's (or a rollout's) devices by what the operator asks: installed of those that need it, failed. */
    private static final class Figures {
        long installed;
        long needing;
        long failed;
        long notNeeded;

        static Figures of(List<RolloutPhaseView> phases) {
            Figures figures = new Figures();
            for (RolloutPhaseView phase : phases) {
                Map<String, Long> counts = phase.statusCounts() == null ? Map.of() : phase.statusCounts();
                long notNeeded = counts.getOrDefault("not_needed", 0L);
                figures.installed += counts.getOrDefault("completed", 0L);
                figures.failed += counts.getOrDefault("failed", 0L);
                figures.notNeeded += notNeeded;
                figures.needing += Math.max(0, phase.devices() - notNeeded);
            }
            return figures;
        }
    }
}
