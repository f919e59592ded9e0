package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.AppHealth;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Watches the restarted service for {@code HEALTH_CHECK_SECONDS}. Healthy: never {@code failed}, and
 * {@code active} without a break through the second half of the window, so a service that crashes and is
 * restarted by systemd every few seconds does not pass by being up at the last look. The window is measured on the
 * monotonic clock: NTP stepping the wall clock forward would otherwise pass a service watched for two seconds, and
 * stepping it back keep the device watching (and {@code updating}) for hours.
 * <p>
 * A unit can be active while the app in it is not well (its wake-word engine failed to load). With
 * {@code APP_HEALTH_COMMAND} or {@code APP_HEALTH_URL} the app is asked too ({@link AppHealth}), at each look while
 * the unit is active, until it says it is well; a window that ends without its "well" rolls the release back, and
 * the failed report carries the app's own words ("voice-assistant-client says: wake-word engine failed to load
 * model"). Each look says the loop is alive ({@link UpdateContext#alive}): a window longer than the systemd
 * watchdog's is a loop at work, not a hung one.
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
        AppHealth app = context.appHealth();
        Path release = context.root().release(job.version());
        // nanoTime values, compared by their difference only
        long start = context.nanoTime().getAsLong();
        long deadline = start + window.toNanos();
        boolean active = false;
        long activeSince = 0;
        AppHealth.Answer said = null;
        String state;
        while (true) {
            context.alive().run();
            long now = context.nanoTime().getAsLong();
            state = context.systemctl().state(service);
            if (state.equals("failed")) {
                return unhealthy(service + " failed after the restart");
            }
            if (!state.equals("active")) {
                active = false;
            } else {
                if (!active) {
                    active = true;
                    activeSince = now;
                }
                if (app.configured() && (said == null || !said.well())) {
                    said = app.ask(release);
                    if (said.well()) {
                        UpdateLog.step(job, service + " " + said.account() + " (" + seconds(context.nanoTime()
                                .getAsLong() - start) + " s after the restart)");
                    }
                }
            }
            long left = deadline - context.nanoTime().getAsLong();
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
        if (app.configured() && (said == null || !said.well())) {
            // active but not well: the app's own words, for the report and the rollout's failure rule
            return unhealthy(said == null ? service + " was never asked whether it is well" : service + " "
                    + said.account() + " (active, but not well within " + window.toSeconds()
                    + " s of the restart)");
        }
        UpdateLog.step(job, service + " active for " + window.toSeconds() + " s" + (app.configured()
                ? " and well" : "") + ": healthy");
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

    private static long seconds(long nanos) {
        return Duration.ofNanos(nanos).toSeconds();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
