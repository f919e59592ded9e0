package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.RolloutRules;
import dev.javia.ota.protocol.api.RolloutState;

import java.time.Instant;
import java.util.Locale;

/**
 * The rules of a rollout, applied to its open phase: what the reconciler does now, or what it waits for and until
 * when. The same judgement answers the operator's "what happens next", so the two cannot disagree.
 */
final class RolloutJudge {

    enum Verdict { PAUSE, ADVANCE, FINISH, WAIT }

    /** What to do, in a sentence an operator reads, and the earliest moment the next step can come (or null). */
    record Judgement(Verdict verdict, String text, Instant at) {
    }

    private RolloutJudge() {
    }

    static Judgement judge(RolloutRow rollout, PhaseCounts open, Instant now) {
        RolloutState state = rollout.state();
        switch (state) {
            case AWAITING_APPROVAL:
                return waiting("waits for an admin other than " + rollout.createdBy() + " to approve it (POST "
                        + "/api/v1/rollouts/" + rollout.id() + "/approve); nothing starts before", null);
            case SCHEDULED:
                return waiting("starts at " + rollout.startAt(), rollout.startAt());
            case PAUSED:
                return waiting("paused: " + rollout.pausedReason() + ". Nothing new starts until an admin resumes it"
                        + " (POST .../resume), advances, cancels or rolls it back", null);
            case CANCELLED:
                return waiting("nothing: the rollout was cancelled", null);
            case FINISHED:
                return waiting("nothing: the rollout finished; devices of its target that join later are offered the"
                        + " update", null);
            default:
                break;
        }
        RolloutRules rules = rollout.rules();
        String phase = "phase " + (rollout.currentPhase() + 1) + " (" + rollout.phases().get(rollout.currentPhase())
                .size() + ")";
        if (open.failing(rules)) {
            return new Judgement(Verdict.PAUSE, "the failure rule tripped in " + phase + ": " + open.failedSince()
                    + " failed and " + open.silent() + " silent of " + open.failureSample() + " judged ("
                    + percent(open.failureShare()) + ", the threshold is " + percent(rules.failureThreshold()) + ")",
                    now);
        }
        String step = rollout.isLastPhase() ? "finishes" : "advances to phase " + (rollout.currentPhase() + 2) + " ("
                + rollout.phases().get(rollout.currentPhase() + 1).size() + ")";
        if (open.devices() - open.count(PhaseCounts.NOT_NEEDED) - open.count("superseded") == 0) {
            // nothing to install in this phase: nothing to judge and nothing to soak
            return new Judgement(rollout.isLastPhase() ? Verdict.FINISH : Verdict.ADVANCE,
                    step + ": no device of " + phase + " needs the update", now);
        }
        Instant soaked = rollout.phaseStartedAt().plusSeconds(rules.soakSeconds());
        Instant earliest = open.windowsEnd() != null && open.windowsEnd().isAfter(soaked) ? open.windowsEnd() : soaked;
        String when = (open.windowsEnd() != null && open.windowsEnd().equals(earliest)
                ? ", not before its devices' install windows have passed (" + earliest + ")"
                : rules.soakSeconds() > 0 ? ", not before its soak ends (" + earliest + ")" : "");
        long neededFinished = Math.max(1, Math.min(rules.minFinished(), open.judged()));
        String rule = step + " when " + percent(rules.successThreshold()) + " of " + phase + "'s " + open.judged()
                + " judged devices have installed and at least " + neededFinished + " finished" + when
                + " (now " + open.count("completed") + " installed, " + open.count("failed") + " failed, "
                + open.silent() + " silent, " + open.offlineUnstarted() + " offline and not started)";
        if (open.judged() == 0) {
            return waiting(rule + "; every device of the phase that needs it is offline", null);
        }
        if (!open.succeeding(rules)) {
            return waiting(rule, earliest.isAfter(now) ? earliest : null);
        }
        if (earliest.isAfter(now)) {
            return waiting(rule, earliest);
        }
        return new Judgement(rollout.isLastPhase() ? Verdict.FINISH : Verdict.ADVANCE, rule, now);
    }

    static String percent(Double share) {
        if (share == null) {
            return "-";
        }
        double value = share * 100;
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f%%", value)
                : String.format(Locale.ROOT, "%.1f%%", value);
    }

    private static Judgement waiting(String text, Instant at) {
        return new Judgement(Verdict.WAIT, text, at);
    }
}
