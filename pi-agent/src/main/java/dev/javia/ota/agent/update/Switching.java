package dev.javia.ota.agent.update;

/** Points {@code current} at the new release with one atomic rename and writes {@code VERSION}. */
final class Switching extends UpdateState {

    static final String NAME = "switching";

    Switching(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        context.root().switchTo(job.version());
        UpdateLog.step(job, "switched current to " + job.version()
                + (job.previousVersion() == null ? "" : " (previous: " + job.previousVersion() + ")"));
        return new Restarting(job);
    }

    @Override
    UpdateState onFailure(String reason) {
        // the rename may or may not have happened: switch back to be sure
        return new RollingBack(job.failedWith(name() + ": " + reason));
    }
}
