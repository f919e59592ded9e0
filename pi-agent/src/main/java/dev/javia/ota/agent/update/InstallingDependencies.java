package dev.javia.ota.agent.update;

/** Installs {@code requirements.txt}, when the release has one, into the release's own venv. */
final class InstallingDependencies extends UpdateState {

    static final String NAME = "dependencies";

    InstallingDependencies(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        if (context.python().install(context.root().release(job.version()))) {
            UpdateLog.step(job, "installed Python dependencies into the release's venv");
        }
        return new Switching(job);
    }
}
