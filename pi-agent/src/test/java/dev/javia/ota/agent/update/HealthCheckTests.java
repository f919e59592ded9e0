package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.agent.system.HealthCommand;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The health check's window is time passing on the monotonic clock: a step of the wall clock changes nothing. Beyond
 * "the unit is active", the app's own health command (or endpoint) must say it is well within the window; a release
 * that is active but not well is rolled back and the failed report carries the app's own words.
 */
class HealthCheckTests {

    private static final List<String> IS_ACTIVE = List.of("systemctl", "is-active");
    private static final List<String> HEALTH = List.of("./healthcheck", "--quick");

    @Test
    void aReleaseThatIsActiveButNotWellIsRolledBackWithTheAppsOwnWords(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.appHealth = new HealthCommand(device.runner, HEALTH, Duration.ofSeconds(10));
            device.runner.answer(HEALTH, CommandResult.exit(1, "loading models\n"
                    + "wake-word engine failed to load model\n"));
            device.publish("v1.1.0", UpdateType.URGENT, List.of());

            device.runToIdle(device.machine());

            assertThat(device.chain).containsSubsequence("health-check", "rolling-back", "reporting");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            assertThat(device.server.reportedStatuses()).last().isEqualTo(UpdateStatus.FAILED);
            assertThat(device.server.reports()).last().satisfies(report -> assertThat(report.errorMessage())
                    .startsWith("voice-assistant-client says: wake-word engine failed to load model (active, but not "
                            + "well within 30 s of the restart); switched back to v1.0.0"));
        }
    }

    @Test
    void theAppIsAskedInTheNewReleaseUntilItSaysItIsWell(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.appHealth = new HealthCommand(device.runner, HEALTH, Duration.ofSeconds(10));
            int[] asked = {0};
            device.runner.answer(HEALTH, command -> ++asked[0] < 3
                    ? CommandResult.exit(1, "loading the wake-word model\n") : CommandResult.ok("wake-word engine ready\n"));
            device.publish("v1.1.0", UpdateType.URGENT, List.of());

            device.runToIdle(device.machine());

            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
            assertThat(device.server.reportedStatuses()).last().isEqualTo(UpdateStatus.COMPLETED);
            assertThat(asked[0]).as("asked until it said well, then no more").isEqualTo(3);
            Path release = device.root.release("v1.1.0");
            assertThat(device.runner.commands()).filteredOn(command -> command.program().equals("./healthcheck"))
                    .allSatisfy(command -> {
                        assertThat(command.directory()).isEqualTo(release);
                        assertThat(command.environment()).containsEntry("JAVIA_RELEASE_DIR", release.toString());
                        assertThat(command.timeout()).isEqualTo(Duration.ofSeconds(10));
                    });
        }
    }

    @Test
    void anAppThatNeverAnswersWithinItsTimeoutIsNotWell(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.appHealth = new HealthCommand(device.runner, HEALTH, Duration.ofSeconds(10));
            device.runner.answer(HEALTH, new CommandResult(-1, "", true));
            device.publish("v1.1.0", UpdateType.URGENT, List.of());

            device.runToIdle(device.machine());

            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            assertThat(device.server.reports()).last().satisfies(report -> assertThat(report.errorMessage())
                    .startsWith("voice-assistant-client did not answer its health command (./healthcheck --quick) "
                            + "within 10 s"));
        }
    }

    @Test
    void withoutAnAppHealthCheckTheUnitBeingActiveIsEnough(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publish("v1.1.0", UpdateType.URGENT, List.of());

            device.runToIdle(device.machine());

            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
            assertThat(device.runner.lines()).noneMatch(line -> line.contains("healthcheck"));
        }
    }

    /** A window longer than WatchdogSec is the loop at work: every look says so, or systemd would kill the agent. */
    @Test
    void eachLookOfALongWindowSaysTheLoopIsAlive(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.healthCheck = Duration.ofMinutes(10);
            device.publish("v1.1.0", UpdateType.URGENT, List.of());

            device.runToIdle(device.machine());

            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
            assertThat(device.alive).as("a look every 2 s for 600 s").isGreaterThanOrEqualTo(300);
        }
    }

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
