package dev.javia.ota.agent.update;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The update's log lines, each with the greppable {@code UPDATE} marker the seed's troubleshooting uses
 * ({@code journalctl -u javia-agent | grep UPDATE}), the version and the update id.
 */
final class UpdateLog {

    private static final Logger LOG = Logger.getLogger("dev.javia.ota.agent.update");

    private UpdateLog() {
    }

    static void step(UpdateJob job, String what) {
        log(Level.INFO, job, what);
    }

    static void warn(UpdateJob job, String what) {
        log(Level.WARNING, job, what);
    }

    static void log(Level level, UpdateJob job, String what) {
        if (job == null || job.offer() == null) {
            LOG.log(level, "UPDATE " + what);
        } else {
            LOG.log(level, "UPDATE " + job.version() + " " + what + " [update_id=" + job.updateId() + "]");
        }
    }
}
