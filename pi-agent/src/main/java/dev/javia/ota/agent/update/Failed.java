package dev.javia.ota.agent.update;

import java.io.IOException;
import java.nio.file.Files;

/**
 * A step before the switch failed: nothing the service uses was changed. Deletes the download and the new release
 * (never the current one), and a new agent release that is not running (never the one {@code current} or
 * {@code previous} names), then reports {@code failed}.
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
            Files.deleteIfExists(context.deltaDownload(job));
        } catch (IOException e) {
            UpdateLog.warn(job, "cannot delete the download: " + e.getMessage());
        }
        context.root().discard(job.version());
        String agent = job.agentVersion();
        if (agent != null && !agent.equals(context.agent().running())) {
            // the new agent's release, unless current or previous names it (AgentHome.discard)
            context.agent().home().discard(agent);
        }
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
