package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The health check's window is time passing on the monotonic clock: a step of the wall clock changes nothing. */
class HealthCheckTests {

    private static final List<String> IS_ACTIVE = List.of("systemctl", "is-active");

    @Test
    void aWallClockStepForwardDoesNotEndTheCheckBeforeItHasSeenTheServiceFail(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publish("v1.1.0", UpdateType.URGENT, List.of());
            int[] polls = {0};
            device.runner.answer(IS_ACTIVE, command -> {
                polls[0]++;
                if (polls[0] == 1) {
                    device.clock.set(device.clock.instant().plus(Duration.ofHours(3))); // NTP steps the clock
                    return CommandResult.ok("active\n");
                }
                // up at first, then it crashes for good ten seconds later
                return polls[0] <= 5 ? CommandResult.ok("active\n") : CommandResult.exit(3, "failed\n");
            });

            device.runToIdle(device.machine());

            assertThat(device.chain).contains("health-check", "rolling-back");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
        }
    }

    @Test
    void aWallClockStepBackDoesNotStretchTheCheck(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publish("v1.1.0", UpdateType.URGENT, List.of());
            int[] polls = {0};
            device.runner.answer(IS_ACTIVE, command -> {
                if (polls[0]++ == 0) {
                    device.clock.set(device.clock.instant().minus(Duration.ofHours(3)));
                }
                return CommandResult.ok("active\n");
            });

            device.runToIdle(device.machine());

            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
            assertThat(polls[0]).as("30 s, a look every 2 s").isEqualTo(16);
        }
    }
}
