package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.CommandFailedException;

import java.nio.file.Files;

/**
 * The new release was switched to but is not good: point {@code current} back at the previous release, restart
 * the service on it, delete the new release, and report {@code failed} with the reason. Forward-fix only: the
 * device stays on the previous release until a newer update comes.
 */
final class RollingBack extends UpdateState {

    static final String NAME = "rolling-back";

    RollingBack(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        InstallRoot root = context.root();
        String previous = job.previousVersion();
        if (previous == null || !Files.isDirectory(root.release(previous))) {
            UpdateLog.warn(job, "no previous release to switch back to; " + job.version() + " stays current");
            return new Reporting(job.failedWith(job.failure() + "; there was no previous release to switch back to, "
                    + job.version() + " stays installed"));
        }
        root.switchTo(previous);
        UpdateLog.warn(job, "switched current back to " + previous);
        String restart = "";
        try {
            context.systemctl().restart(context.service());
        } catch (CommandFailedException e) {
            restart = " (restarting " + context.service() + " on it failed too: " + e.getMessage() + ")";
        }
        root.discard(job.version());
        return new Reporting(job.failedWith(job.failure() + "; switched back to " + previous + restart));
    }

    @Override
    UpdateState onFailure(String reason) {
        return new Reporting(job.failedWith(job.failure() + "; switching back failed too: " + reason));
    }

    @Override
    boolean installing() {
        return false;
    }
}
