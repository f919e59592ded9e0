package dev.javia.ota.agent.update;

/** Installs the update's system packages with apt-get (validated names, non-interactive, dpkg lock bounded). */
final class InstallingSystemPackages extends UpdateState {

    static final String NAME = "system-packages";

    InstallingSystemPackages(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        if (!job.systemPackages().isEmpty()) {
            UpdateLog.step(job, "installing system packages " + job.systemPackages());
            context.apt().install(job.systemPackages());
        }
        return new InstallingDependencies(job);
    }
}
