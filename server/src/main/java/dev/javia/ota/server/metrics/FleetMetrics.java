package dev.javia.ota.server.metrics;

import dev.javia.ota.server.device.FleetCounts;
import dev.javia.ota.server.device.Heartbeats;
import dev.javia.ota.server.security.MetricsSettings;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fleet's gauges. A scrape reads only memory: {@link #refresh} (on the server's timer, every
 * {@code ota.metrics.refresh}) reads the trigger-kept counts of {@link FleetCounts} (a few dozen rows whatever the
 * fleet's size), the rollouts table and the open rollouts' kept tallies, and the webhook deliveries still being
 * retried. So the cost of a scrape does not grow with the fleet, and a scraper that calls too often costs no query.
 * Labels stay bounded: status x version (the versions devices run), rollout states, and one series per open rollout.
 */
@Component
public class FleetMetrics {

    /** A rollout that is not finished: only these get series of their own. */
    static final String OPEN_STATES = "'running', 'paused', 'awaiting_approval', 'scheduled'";
    private static final String[] TALLIED = {"queued", "pending", "downloading", "installing", "completed", "failed"};

    private final FleetCounts counts;
    private final JdbcClient jdbc;
    private final Clock clock;
    private final boolean enabled;
    private final MultiGauge devices;
    private final MultiGauge rollouts;
    private final MultiGauge rolloutPhase;
    private final MultiGauge rolloutPhases;
    private final MultiGauge rolloutPhaseDevices;
    private final AtomicLong webhooksFailing = new AtomicLong();
    private final AtomicLong refreshedAt = new AtomicLong();

    FleetMetrics(FleetCounts counts, Heartbeats heartbeats, JdbcClient jdbc, Clock clock, MetricsSettings settings,
            MeterRegistry registry) {
        this.counts = counts;
        this.jdbc = jdbc;
        this.clock = clock;
        // nobody may scrape: no query every few seconds for nothing
        this.enabled = settings.open();
        devices = MultiGauge.builder("ota.devices").description("Devices by status and the version they run")
                .register(registry);
        rollouts = MultiGauge.builder("ota.rollouts").description("Rollouts by state").register(registry);
        rolloutPhase = MultiGauge.builder("ota.rollout.phase")
                .description("The phase an open rollout is in, counted from 1").register(registry);
        rolloutPhases = MultiGauge.builder("ota.rollout.phases").description("How many phases an open rollout has")
                .register(registry);
        rolloutPhaseDevices = MultiGauge.builder("ota.rollout.phase.devices")
                .description("The devices of a running rollout's open phase by where their update stands")
                .register(registry);
        Gauge.builder("ota.webhook.deliveries.failing", webhooksFailing, AtomicLong::get)
                .description("Webhook deliveries whose last attempt failed and that are still retried")
                .register(registry);
        Gauge.builder("ota.heartbeat.flush.lag", heartbeats, h -> h.flushLag().toMillis() / 1000.0).baseUnit("seconds")
                .description("Time since a heartbeat flush last wrote all it took (about the flush interval)")
                .register(registry);
        Gauge.builder("ota.heartbeat.flush.size", heartbeats, Heartbeats::lastFlushSize)
                .description("Devices written by the last heartbeat flush").register(registry);
        Gauge.builder("ota.heartbeat.pending", heartbeats, Heartbeats::pendingSize)
                .description("Devices whose heartbeat waits for the next flush").register(registry);
        Gauge.builder("ota.metrics.refreshed", refreshedAt, AtomicLong::get).baseUnit("seconds")
                .description("When the fleet's gauges were last read from the database (Unix time)")
                .register(registry);
    }

    /** Reads the fleet's state into the gauges; a no-op when nobody may scrape. */
    public void refresh() {
        if (!enabled) {
            return;
        }
        devices.register(counts.now().stream()
                .map(count -> MultiGauge.Row.of(Tags.of("status", count.status().wire(),
                        "version", count.version() == null ? "none" : count.version()), count.devices()))
                .toList(), true);
        rollouts.register(jdbc.sql("select state, count(*) as n from rollouts group by state")
                .query((row, n) -> MultiGauge.Row.of(Tags.of("state", row.getString("state")), row.getLong("n")))
                .list(), true);
        List<MultiGauge.Row<?>> phase = new ArrayList<>();
        List<MultiGauge.Row<?>> phases = new ArrayList<>();
        List<MultiGauge.Row<?>> phaseDevices = new ArrayList<>();
        jdbc.sql("""
                        select r.id, r.state, r.current_phase, jsonb_array_length(r.phases) as phases, u.version,
                               t.phase as tallied_phase, t.queued, t.pending, t.downloading, t.installing, t.completed,
                               t.failed
                        from rollouts r join updates u on u.id = r.update_id
                        left join rollout_tallies t on t.rollout_id = r.id
                        where r.state in (""" + OPEN_STATES + ")")
                .query(row -> {
                    Tags tags = Tags.of("rollout", row.getString("id"), "version", row.getString("version"),
                            "state", row.getString("state"));
                    phase.add(MultiGauge.Row.of(tags, row.getInt("current_phase") + 1));
                    phases.add(MultiGauge.Row.of(tags, row.getInt("phases")));
                    Object tallied = row.getObject("tallied_phase");
                    if (tallied != null && row.getInt("tallied_phase") == row.getInt("current_phase")) {
                        for (String outcome : TALLIED) {
                            phaseDevices.add(MultiGauge.Row.of(tags.and("outcome", outcome), row.getLong(outcome)));
                        }
                    }
                });
        rolloutPhase.register(phase, true);
        rolloutPhases.register(phases, true);
        rolloutPhaseDevices.register(phaseDevices, true);
        webhooksFailing.set(jdbc.sql("select count(*) from webhook_deliveries where status = 'pending' and attempts > 0")
                .query(Long.class).single());
        refreshedAt.set(clock.instant().getEpochSecond());
    }
}
