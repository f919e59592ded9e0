package dev.javia.ota.server;

import dev.javia.ota.server.device.FleetCounts;
import dev.javia.ota.server.device.Heartbeats;
import dev.javia.ota.server.metrics.FleetMetrics;
import dev.javia.ota.server.device.OfflineSweep;
import dev.javia.ota.server.notify.WebhookDelivery;
import dev.javia.ota.server.update.RolloutReconciler;
import dev.javia.ota.server.web.DatabaseUnavailable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** The background jobs' timers; tests switch them off ({@code ota.jobs.enabled=false}) and call the jobs directly. */
@Component
@ConditionalOnProperty(name = "ota.jobs.enabled", havingValue = "true", matchIfMissing = true)
class Jobs {

    private static final Logger log = LoggerFactory.getLogger(Jobs.class);

    private final OfflineSweep offlineSweep;
    private final Heartbeats heartbeats;
    private final WebhookDelivery webhooks;
    private final RolloutReconciler rollouts;
    private final FleetCounts fleetCounts;
    private final FleetMetrics fleetMetrics;

    Jobs(OfflineSweep offlineSweep, Heartbeats heartbeats, WebhookDelivery webhooks, RolloutReconciler rollouts,
            FleetCounts fleetCounts, FleetMetrics fleetMetrics) {
        this.fleetMetrics = fleetMetrics;
        this.fleetCounts = fleetCounts;
        this.offlineSweep = offlineSweep;
        this.heartbeats = heartbeats;
        this.webhooks = webhooks;
        this.rollouts = rollouts;
    }

    @Scheduled(fixedDelayString = "${ota.heartbeat-flush-interval:1s}")
    void flushHeartbeats() {
        heartbeats.flush();
    }

    @Scheduled(fixedDelayString = "${ota.offline-sweep-interval:60s}", initialDelayString = "${ota.offline-sweep-interval:60s}")
    void sweepOffline() {
        unlessTheDatabaseIsDown("offline sweep", offlineSweep::tick);
    }

    @Scheduled(fixedDelayString = "${ota.webhooks.delivery-interval:5s}",
            initialDelayString = "${ota.webhooks.delivery-interval:5s}")
    void deliverWebhooks() {
        unlessTheDatabaseIsDown("webhook delivery", webhooks::tick);
    }

    @Scheduled(fixedDelayString = "${ota.rollouts.tick-interval:5s}",
            initialDelayString = "${ota.rollouts.tick-interval:5s}")
    void reconcileRollouts() {
        unlessTheDatabaseIsDown("rollout tick", rollouts::tick);
    }

    /** The overview's counts: their pending changes added to the sums (db/migration/V14). */
    @Scheduled(fixedDelayString = "${ota.fleet-counts-interval:5s}", initialDelayString = "${ota.fleet-counts-interval:5s}")
    void foldFleetCounts() {
        unlessTheDatabaseIsDown("fleet counts", fleetCounts::fold);
    }

    /** The Prometheus gauges (metrics/FleetMetrics): a scrape reads what this last read. */
    @Scheduled(fixedDelayString = "${ota.metrics.refresh:15s}")
    void refreshMetrics() {
        unlessTheDatabaseIsDown("metrics", fleetMetrics::refresh);
    }

    private static void unlessTheDatabaseIsDown(String job, Runnable run) {
        try {
            run.run();
        } catch (RuntimeException e) {
            if (!DatabaseUnavailable.is(e)) {
                throw e;
            }
            // the outage is logged once where it is noticed; one line here, not a stack trace a minute
            log.info("{} skipped, the database is unavailable", job);
        }
    }
}
