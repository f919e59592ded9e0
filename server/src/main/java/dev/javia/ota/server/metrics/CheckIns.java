package dev.javia.ota.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

/** Counts the devices' check-ins ({@code ota_checkins_total}); Prometheus makes the rate per second of it. */
@Component
public class CheckIns {

    private final Counter heartbeats;
    private final Counter checks;

    CheckIns(MeterRegistry registry) {
        this.heartbeats = Counter.builder("ota.checkins").tag("kind", "heartbeat")
                .description("Device check-ins received: heartbeats (each also answers the update check) and checks")
                .register(registry);
        this.checks = Counter.builder("ota.checkins").tag("kind", "check")
                .description("Device check-ins received: heartbeats (each also answers the update check) and checks")
                .register(registry);
    }

    public void heartbeat() {
        heartbeats.increment();
    }

    public void check() {
        checks.increment();
    }
}
