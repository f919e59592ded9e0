package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.UpdateStatus;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.Set;

/**
 * Cleans up after an update: the download goes; after a success the releases other than the current one and the
 * previous one go too (the previous one is kept for one more update).
 */
final class Done extends UpdateState {

    static final String NAME = "done";

    Done(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        try {
            Files.deleteIfExists(context.download(job));
            Files.deleteIfExists(context.deltaDownload(job));
        } catch (IOException e) {
            UpdateLog.warn(job, "cannot delete the download: " + e.getMessage());
        }
        if (job.outcome() == UpdateStatus.COMPLETED) {
            Set<String> keep = new HashSet<>();
            keep.add(job.version());
            if (job.previousVersion() != null) {
                keep.add(job.previousVersion());
            }
            context.root().prune(keep);
            if (job.agentVersion() != null) {
                // the agent's releases: current and previous (the guard's way back for the next trial) stay
                context.agent().home().prune(Set.of());
            }
        }
        UpdateLog.step(job, "done" + (job.outcome() == null ? "" : ": " + job.outcome().wire()));
        return new Idle();
    }

    @Override
    UpdateState onFailure(String reason) {
        return new Idle();
    }

    @Override
    boolean installing() {
        return false;
    }
}
