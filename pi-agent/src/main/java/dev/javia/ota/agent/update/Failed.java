package dev.javia.ota.agent.update;

import java.io.IOException;
import java.nio.file.Files;

/**
 * A step before the switch failed: nothing the service uses was changed. Deletes the download and the new release
 * (never the current one), then reports {@code failed}.
 */
final class Failed extends UpdateState {

    static final String NAME = "failed";

    Failed(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        UpdateLog.warn(job, "failed: " + job.failure());
        try {
            Files.deleteIfExists(context.download(job));
        } catch (IOException e) {
            UpdateLog.warn(job, "cannot delete the download: " + e.getMessage());
        }
        context.root().discard(job.version());
        return new Reporting(job);
    }

    @Override
    UpdateState onFailure(String reason) {
        return new Reporting(job);
    }

    @Override
    boolean installing() {
        return false;
    }
}
