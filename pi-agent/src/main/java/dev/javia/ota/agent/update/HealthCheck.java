package dev.javia.ota.agent.update;

import java.time.Duration;

/**
 * Watches the restarted service for {@code HEALTH_CHECK_SECONDS}. Healthy: never {@code failed}, and
 * {@code active} without a break through the second half of the window, so a service that crashes and is
 * restarted by systemd every few seconds does not pass by being up at the last look. The window is measured on the
 * monotonic clock: NTP stepping the wall clock forward would otherwise pass a service watched for two seconds, and
 * stepping it back keep the device watching (and {@code updating}) for hours.
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
        // nanoTime values, compared by their difference only
        long deadline = context.nanoTime().getAsLong() + window.toNanos();
        boolean active = false;
        long activeSince = 0;
        String state;
        while (true) {
            long now = context.nanoTime().getAsLong();
            state = context.systemctl().state(service);
            if (state.equals("failed")) {
                return unhealthy(service + " failed after the restart");
            }
            if (!state.equals("active")) {
                active = false;
            } else if (!active) {
                active = true;
                activeSince = now;
            }
            long left = deadline - now;
            if (left <= 0) {
                break;
            }
            try {
                context.sleeper().sleep(min(POLL, Duration.ofNanos(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during the health check of " + service);
            }
        }
        boolean stable = active && deadline - activeSince >= window.dividedBy(2).toNanos();
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
