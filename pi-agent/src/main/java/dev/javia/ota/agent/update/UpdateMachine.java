package dev.javia.ota.agent.update;

import dev.javia.ota.agent.transport.ServerUnavailableException;
import dev.javia.ota.protocol.api.UpdateCheck;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateStatus;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.logging.Level;

/**
 * Runs the update steps. Each next state is written to the state file before it runs (temp file, fsync, rename),
 * so a {@code kill -9} or a power cut anywhere leaves a file that names the step that was running; {@link #resume}
 * maps it to a safe place to go on. Two counters, persisted with the state, stop a step that takes the agent or the
 * device down each time it runs from doing so for ever: the stops in one step without progress (an agent that runs
 * out of memory in {@code verifying} at every start gives up after {@value #MAX_STOPS_IN_STEP}), and the transitions
 * of the whole install, raised by every start (a loop across steps).
 */
public final class UpdateMachine {

    /**
     * Starts that find the agent stopped in the same step, with nothing gained since the last: then the step ends
     * as a failure (cleanup, switching back when past the switch, a {@code failed} report) instead of being run once
     * more. Three, so that one power cut, or two, never fails an update.
     */
    static final int MAX_STOPS_IN_STEP = 3;

    private final StateFile stateFile;
    private final UpdateContext context;
    private final int maxTransitions;
    private final Consumer<String> afterSave;
    /** Volatile: the heartbeat thread of a running step reads it ({@link #busy}) while the loop's thread advances. */
    private volatile UpdateState current;
    private int transitions;
    /**
     * The last offer {@link DowngradeRule} refused in this run of the agent: a server that offers it again (one that
     * did not record the failed report) is not answered with a refusal at every check. Not persisted: after a
     * restart a re-offer is refused and reported once more, which the server takes (a repeated report).
     */
    private UUID refused;
    /** Whether this agent's own trial is settled: none open for it, or committed by {@link AgentTrial#commitOrphan}. */
    private boolean ownTrialSettled;

    private UpdateMachine(StateFile stateFile, UpdateContext context, int maxTransitions, Consumer<String> afterSave,
            UpdateState current, int transitions) {
        this.stateFile = stateFile;
        this.context = context;
        this.maxTransitions = maxTransitions;
        this.afterSave = afterSave;
        this.current = current;
        this.transitions = transitions;
    }

    public static UpdateMachine resume(StateFile stateFile, UpdateContext context, int maxTransitions) {
        return resume(stateFile, context, maxTransitions, name -> {
        });
    }

    /**
     * @param afterSave called with each state's name once it is on disk and before it runs (tests cut the power
     *                  there; the agent ends its long poll there when an install begins)
     */
    public static UpdateMachine resume(StateFile stateFile, UpdateContext context, int maxTransitions,
            Consumer<String> afterSave) {
        StateFile.Snapshot snapshot = stateFile.load().orElse(null);
        if (snapshot == null || snapshot.job() == null) {
            return new UpdateMachine(stateFile, context, maxTransitions, afterSave, new Idle(), 0);
        }
        UpdateState resumed = whereToResume(snapshot.state(), snapshot.job());
        UpdateMachine machine = new UpdateMachine(stateFile, context, maxTransitions, afterSave, resumed,
                snapshot.transitions());
        if (resumed instanceof Waiting) {
            // a job taken before the version rule (an older agent's file) is held to it too, before anything runs
            UpdateState admitted = machine.admit(resumed.job());
            if (!(admitted instanceof Waiting)) {
                machine.moveTo(admitted);
            }
        } else if (!(resumed instanceof Idle)) {
            machine.resumeIn(resumed, snapshot);
        }
        return machine;
    }

    /**
     * Every start inside an install counts as a transition, and a start in the step the agent stopped in counts as
     * a stop in it unless the step got further ({@link UpdateState#progress}): a step that kills the agent or the
     * device each time cannot loop for ever.
     */
    private void resumeIn(UpdateState resumed, StateFile.Snapshot snapshot) {
        long progress = resumed.progress(context);
        boolean stoppedHere = resumed.name().equals(snapshot.state());
        int stops = !stoppedHere ? 0 : progress > snapshot.stepProgress() ? 0 : snapshot.stopsInStep() + 1;
        UpdateLog.step(snapshot.job(), "agent started in state " + snapshot.state() + ": resuming in "
                + resumed.name() + (stops == 0 ? "" : " (stop " + stops + " of " + MAX_STOPS_IN_STEP
                + " in this step without getting further)"));
        if (stops >= MAX_STOPS_IN_STEP && resumed.endsAfterRepeatedStops()) {
            String reason = "the agent stopped " + stops + " times in this step without getting further (likely "
                    + "out of memory or a crash; see journalctl -u javia-ota-agent)";
            UpdateLog.warn(resumed.job(), resumed.name() + ": " + reason + "; giving it up");
            moveTo(resumed.onFailure(reason));
            return;
        }
        moveTo(resumed, stops, progress);
    }

    /**
     * The one place that decides, after a stop at any point, where to go on. Every step is safe to run again from
     * its start: each either completes a whole unit of work (a rename, a file written in full) or redoes it.
     */
    private static UpdateState whereToResume(String state, UpdateJob job) {
        switch (state) {
            // nothing was touched yet: re-evaluate the schedule (resume holds the job to the version rule first)
            case Waiting.NAME:
                return new Waiting(job);
            // the part file is kept: the download resumes with Range where it broke off
            case Downloading.NAME:
                return new Downloading(job);
            // the delta's part file is kept: its download resumes with Range where it broke off
            case DownloadingDelta.NAME:
                return new DownloadingDelta(job);
            // the delta file is kept until the install ends; a half-assembled .partial directory (and the metadata
            // beside it) is deleted and the release assembled again from it; current never moved
            case Assembling.NAME:
                return new Assembling(job);
            // reads only: check again
            case Verifying.NAME:
                return new Verifying(job);
            // the agent's .partial directory is deleted and javia_agent/ extracted again; no agent link moved yet
            case AgentExtracting.NAME:
                return new AgentExtracting(job);
            // every step of the switch is idempotent and the trial file tells how far it got: the old agent redoes
            // it; the new agent (restarted into), or the old one after the guard's revert, goes on to agent-trial
            case AgentSwitching.NAME:
                return new AgentSwitching(job);
            // the trial file decides: the new agent commits after an answer from the server (the guard bounds the
            // wait), the old agent after a revert fails the job with the guard's reason
            case AgentTrial.NAME:
                return new AgentTrial(job);
            // putting the previous agent back is idempotent (links by one rename, the trial file written whole);
            // finish it, and the previous agent reports
            case AgentRollingBack.NAME:
                return new AgentRollingBack(job);
            // a half-made .partial copy is deleted and made again; current moves by one rename, and a current that
            // already names the version ends it as completed
            case CarryingForward.NAME:
                return new CarryingForward(job);
            // a half-extracted .partial directory is deleted and the package extracted again; current never moved
            case Extracting.NAME:
                return new Extracting(job);
            // apt-get install is idempotent; "dpkg was interrupted" is repaired with dpkg --configure -a first
            case InstallingSystemPackages.NAME:
                return new InstallingSystemPackages(job);
            // venv creation and pip install are idempotent in the release's own venv
            case InstallingDependencies.NAME:
                return new InstallingDependencies(job);
            // current points at the old or the new release (one rename); switching again is harmless
            case Switching.NAME:
                return new Switching(job);
            // the restart may not have been queued: queue it again (a restart is harmless)
            case Restarting.NAME:
                return new Restarting(job);
            // the window restarts from zero: the service must prove itself again after the stop
            case HealthCheck.NAME:
                return new HealthCheck(job);
            // switching back is idempotent; finish it
            case RollingBack.NAME:
                return new RollingBack(job);
            // cleanup is idempotent
            case Failed.NAME:
                return new Failed(job);
            // the outcome is known; the report is sent (again: the server takes a repeated report)
            case Reporting.NAME:
                return new Reporting(job);
            case Done.NAME:
                return new Done(job);
            case Idle.NAME:
                return new Idle();
            // a state file written by a newer agent: do not guess, clean up and report
            default:
                return new Failed(job.failedWith("agent stopped in unknown state '" + state + "'"));
        }
    }

    public UpdateState current() {
        return current;
    }

    public int transitions() {
        return transitions;
    }

    public boolean idle() {
        return current instanceof Idle;
    }

    /** Whether an install is under way (past waiting): no new offer is taken until it ends. */
    public boolean busy() {
        return !(current instanceof Idle) && !(current instanceof Waiting);
    }

    /**
     * Whether an install step runs or is next (past waiting, before the outcome is reported): the device then tells
     * the server it is {@code updating}. Not once the outcome is known: a heartbeat saying {@code updating} after
     * the {@code completed} report would contradict it.
     */
    public boolean installing() {
        return installing(current);
    }

    /**
     * The step under way while {@link #installing}, for the heartbeat: its name (as in the state file) and, while
     * downloading, the percentage downloaded. Empty when not installing. Read from one look at the current state, so
     * that the name and the percentage belong to the same step.
     */
    public Optional<Step> installStep() {
        UpdateState state = current;
        return installing(state) ? Optional.of(new Step(state.name(), state.percentDone(context))) : Optional.empty();
    }

    /** An install step as the heartbeat tells it; {@code percent} is null outside the download. */
    public record Step(String name, Integer percent) {
    }

    private static boolean installing(UpdateState state) {
        return !(state instanceof Idle) && !(state instanceof Waiting) && !(state instanceof Reporting)
                && !(state instanceof Done);
    }

    /**
     * Takes the answer of an update check. Idle: a new offer starts waiting. Waiting: a newer offer replaces the
     * one in hand, an offer withdrawn (superseded, cancelled) is dropped, and a new turn (the next night's, after a
     * missed window) or a delta the server made since replaces the old one. Once the install has started, it finishes first. A new offer the
     * {@link DowngradeRule} refuses goes straight to reporting {@code failed}, with nothing downloaded.
     *
     * @param now the wall time, kept as when the offer was first seen
     */
    public void offer(UpdateCheck check, Instant now) {
        UpdateOffer offer = check == null ? null : check.update();
        boolean settled = check != null && check.status() != null && (check.status() == UpdateStatus.COMPLETED
                || check.status() == UpdateStatus.FAILED || check.status() == UpdateStatus.SUPERSEDED);
        if (offer != null && (settled || offer.id().equals(refused))) {
            offer = null;
        }
        if (current instanceof Idle) {
            if (offer != null) {
                UpdateJob job = UpdateJob.offered(offer, check.scheduledFor(), check.windowEndsAt(), now);
                UpdateLog.step(job, "offered (" + (offer.updateType() == null ? "scheduled" : offer.updateType().wire())
                        + (offer.rollback() ? ", rollback" : "")
                        + (check.scheduledFor() == null ? "" : ", scheduled for " + check.scheduledFor())
                        + (check.windowEndsAt() == null ? "" : ", window ends at " + check.windowEndsAt()) + ")");
                transitions = 0;
                moveTo(admit(job));
            }
            return;
        }
        if (current instanceof Waiting) {
            UpdateJob job = current.job();
            if (offer == null) {
                UpdateLog.step(job, "withdrawn by the server before it started");
                moveTo(new Idle());
            } else if (!offer.id().equals(job.updateId())) {
                UpdateLog.step(job, "replaced by " + offer.version() + (offer.rollback() ? " (rollback)" : "")
                        + " before it started");
                transitions = 0;
                moveTo(admit(UpdateJob.offered(offer, check.scheduledFor(), check.windowEndsAt(), now)));
            } else if (!Objects.equals(check.scheduledFor(), job.scheduledFor())
                    || !Objects.equals(check.windowEndsAt(), job.windowEndsAt())
                    || !Objects.equals(offer.delta(), job.offer().delta())) {
                // a delta the server made after the first check (or no longer has) counts from the next start
                moveTo(new Waiting(job.withSchedule(check.scheduledFor(), check.windowEndsAt())
                        .withDelta(offer.delta())));
            }
        }
    }

    /**
     * Where a job goes before anything is touched: waiting for its turn, or, when {@link DowngradeRule} refuses its
     * version, straight to reporting {@code failed}. Not through {@link Failed}: its cleanup deletes
     * {@code releases/<version>}, which for a refused lower version may be the previous release kept on disk.
     */
    private UpdateState admit(UpdateJob job) {
        Optional<String> refusal = DowngradeRule.refusal(job.offer(), context.root().installedVersion(),
                context.trust().keys(), context.statements()::contains);
        if (refusal.isEmpty()) {
            return new Waiting(job);
        }
        refused = job.updateId();
        UpdateLog.warn(job, refusal.get());
        return new Reporting(job.failedWith(refusal.get()));
    }

    /**
     * Runs states until one says "not now" (returns itself). A server that is unreachable leaves the machine in
     * the state it was in and is thrown on, for the caller's backoff; every other failure is the state's to route.
     *
     * @throws ServerUnavailableException to be retried later from the same state
     */
    public UpdateState advance() {
        if (!ownTrialSettled && (current instanceof Idle || current instanceof Waiting)) {
            // outside the agent steps, which settle the trial themselves
            ownTrialSettled = AgentTrial.commitOrphan(context);
        }
        while (true) {
            UpdateState state = current;
            UpdateState next;
            try {
                next = state.run(context);
            } catch (ServerUnavailableException e) {
                UpdateLog.log(Level.WARNING, state.job(), state.name() + ": server unavailable, will retry: "
                        + e.getMessage());
                throw e;
            } catch (RuntimeException e) {
                String reason = e.getMessage() == null ? e.toString() : e.getMessage();
                UpdateLog.log(Level.WARNING, state.job(), state.name() + " failed: " + reason);
                next = state.onFailure(reason);
            }
            if (next == state) {
                return state;
            }
            moveTo(next);
        }
    }

    private void moveTo(UpdateState next) {
        moveTo(next, 0, next.progress(context));
    }

    /**
     * @param stops    the stops in {@code next} so far (0 when it is a new step)
     * @param progress {@code next}'s progress now, to compare with at the next start
     */
    private void moveTo(UpdateState next, int stops, long progress) {
        UpdateState target = next;
        if (target.installing() && transitions >= maxTransitions) {
            // a reboot loop or a crash in the same step each time: stop installing, switch back if needed, report
            target = target.onFailure("stopped after " + transitions + " state changes (limit "
                    + maxTransitions + "): the agent or the device keeps stopping during the update");
        } else if (transitions >= 2 * maxTransitions) {
            // even the way out keeps failing: give up on the update locally so that the device is usable
            target = new Idle();
        }
        if (target instanceof Idle) {
            transitions = 0;
        } else {
            transitions++;
        }
        boolean same = target == next;
        stateFile.save(new StateFile.Snapshot(target.name(), target.job(), transitions, same ? stops : 0,
                same ? progress : target.progress(context)));
        current = target;
        if (!(target instanceof Idle) && !(target instanceof Waiting)) {
            UpdateLog.step(target.job(), "state " + target.name());
        }
        afterSave.accept(target.name());
    }
}
