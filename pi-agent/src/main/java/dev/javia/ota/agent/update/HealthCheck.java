package dev.javia.ota.agent.update;

import java.time.Duration;
import java.time.Instant;

/**
 * Watches the restarted service for {@code HEALTH_CHECK_SECONDS}. Healthy: never {@code failed}, and
 * {@code active} without a break through the second half of the window, so a service that crashes and is
 * restarted by systemd every few seconds does not pass by being up at the last look.
 */
final class HealthCheck extends UpdateState {

    static final String NAME = "health-check";
    private static final Duration POLL = Duration.ofSeconds(2);

    HealthCheck(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        String service = context.service();
        Duration window = context.healthCheck();
        Instant start = context.clock().instant();
        Instant deadline = start.plus(window);
        Instant activeSince = null;
        String state;
        while (true) {
            Instant now = context.clock().instant();
            state = context.systemctl().state(service);
            if (state.equals("failed")) {
                return unhealthy(service + " failed after the restart");
            }
            activeSince = state.equals("active") ? (activeSince == null ? now : activeSince) : null;
            if (!now.isBefore(deadline)) {
                break;
            }
            try {
                context.sleeper().sleep(min(POLL, Duration.between(now, deadline)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during the health check of " + service);
            }
        }
        boolean stable = activeSince != null
                && Duration.between(activeSince, deadline).compareTo(window.dividedBy(2)) >= 0;
        if (!stable) {
            return unhealthy(service + " did not stay active for " + window.toSeconds() + " s after the restart "
                    + "(now " + state + "); see journalctl -u " + service);
        }
        UpdateLog.step(job, service + " active for " + window.toSeconds() + " s: healthy");
        return new Reporting(job.completed());
    }

    private UpdateState unhealthy(String reason) {
        UpdateLog.warn(job, "health check failed: " + reason);
        return new RollingBack(job.failedWith(reason));
    }

    @Override
    UpdateState onFailure(String reason) {
        return new RollingBack(job.failedWith(name() + ": " + reason));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
