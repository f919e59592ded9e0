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
    UpdateState onFailure(String reason) {
        return new Failed(job.failedWith(name() + ": " + reason));
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
