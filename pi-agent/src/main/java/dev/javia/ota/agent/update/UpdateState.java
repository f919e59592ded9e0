package dev.javia.ota.agent.update;

/**
 * One step of an update. {@link #run} does the step's work and returns the next state; returning {@code this}
 * means "not now" (waiting for the schedule, or for the server to take a report), and the machine stops until the
 * next tick. The machine writes the next state to disk before it runs it.
 */
public abstract class UpdateState {

    protected final UpdateJob job;
    private final String name;

    protected UpdateState(String name, UpdateJob job) {
        this.name = name;
        this.job = job;
    }

    /** The name in the state file and the logs. */
    public final String name() {
        return name;
    }

    abstract UpdateState run(UpdateContext context);

    public UpdateJob job() {
        return job;
    }

    /**
     * Where a failure inside this step leads. Before the switch nothing the service uses has changed: clean up and
     * report. The steps after the switch override this to switch back first.
     */
    /**
     * The step's release is already what {@code current} points at (a power cut after the switch, before the state
     * file moved on): the install is complete, and the outcome is reported. Null when it is not.
     */
    final UpdateState completedIfCurrent(InstallRoot root, String already) {
        if (root.currentRelease().filter(job.version()::equals).isPresent()) {
            UpdateLog.step(job, already + ": current points at " + job.version());
            return new Reporting(job.completed());
        }
        return null;
    }

    UpdateState onFailure(String reason) {
        return new Failed(job.failedWith(name() + ": " + reason));
    }

    /**
     * How far this step has got, so that a stop after progress is told from a stop without: the bytes downloaded.
     * Steps that redo their work from the start have no measure (0).
     */
    long progress(UpdateContext context) {
        return 0;
    }

    /** How far this step has got in percent (0..100), for the heartbeat; null for a step without a measure. */
    Integer percentDone(UpdateContext context) {
        return null;
    }

    /**
     * Whether the agent stopping again and again in this step ends it through {@link #onFailure}
     * ({@link UpdateMachine#MAX_STOPS_IN_STEP}); not for steps that only wait (for the schedule, for the server).
     */
    boolean endsAfterRepeatedStops() {
        return true;
    }

    /** Whether this step is part of the install proper, which the transition limit may cut short. */
    boolean installing() {
        return true;
    }

    @Override
    public String toString() {
        return name();
    }
}
