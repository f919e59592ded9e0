package dev.javia.ota.agent.update;

/** Queues a restart of the voice-assistant service ({@code systemctl --no-block restart}). */
final class Restarting extends UpdateState {

    static final String NAME = "restarting";

    Restarting(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        UpdateLog.step(job, "restarting " + context.service());
        context.systemctl().restart(context.service());
        return new HealthCheck(job);
    }

    @Override
    UpdateState onFailure(String reason) {
        return new RollingBack(job.failedWith(name() + ": " + reason));
    }
}
