package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.agent.testing.LoggedWarnings;
import dev.javia.ota.agent.testing.MutableClock;
import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.logging.LogRecord;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The wall clock decides nothing until it is known good: timedatectl says synchronized, or the server's Date agrees.
 * A stand-in answers for timedatectl.
 */
class ClockTrustTests {

    private static final List<String> TIMEDATECTL = ClockTrust.NTP_SYNCHRONIZED.argv();

    private final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final RecordingCommandRunner runner = new RecordingCommandRunner();
    private final ClockTrust trust = new ClockTrust(runner, clock, clock::nanoTime, Duration.ofMinutes(5));

    @Test
    void trustsTheClockWhenTimedatectlSaysSynchronized() {
        runner.answer(TIMEDATECTL, CommandResult.ok("yes\n"));

        assertThat(trust.trusted()).isTrue();
        assertThat(runner.lines()).containsExactly("timedatectl show -p NTPSynchronized --value");
    }

    @Test
    void notSynchronizedIsNotTrustedAndSaysWhy() {
        runner.answer(TIMEDATECTL, CommandResult.ok("no\n"));

        assertThat(trust.trusted()).isFalse();
        assertThat(trust.reason()).isEqualTo(
                "the clock is not synchronized yet (timedatectl NTPSynchronized=no, no server Date yet)");
    }

    @Test
    void aMissingTimedatectlIsUnknownNotSynchronized() {
        runner.answer(TIMEDATECTL, CommandResult.exit(127, "timedatectl: not found"));

        assertThat(trust.trusted()).isFalse();
        assertThat(trust.reason()).contains("no timedatectl");
    }

    @Test
    void garbageOrAFailureIsUnknownNotSynchronized() {
        runner.answer(TIMEDATECTL, CommandResult.ok("maybe\n"));
        assertThat(trust.trusted()).isFalse();
        assertThat(trust.reason()).contains("timedatectl unknown ('maybe')");

        ClockTrust failing = new ClockTrust(command -> CommandResult.exit(1, "Failed to connect to bus"), clock,
                clock::nanoTime, Duration.ofMinutes(5));
        assertThat(failing.trusted()).isFalse();
        assertThat(failing.reason()).contains("timedatectl unknown (exit code 1: Failed to connect to bus)");
    }

    @Test
    void asksTimedatectlAgainEveryMinuteOfMonotonicTimeNotEveryTick() {
        runner.answer(TIMEDATECTL, CommandResult.ok("no\n"));
        assertThat(trust.trusted()).isFalse();
        clock.set(clock.instant().plus(Duration.ofHours(2))); // a step is not time passing
        assertThat(trust.trusted()).isFalse();
        assertThat(runner.commands()).hasSize(1);

        runner.answer(TIMEDATECTL, CommandResult.ok("yes\n"));
        clock.advance(Duration.ofMinutes(1));
        assertThat(trust.trusted()).isTrue();
        assertThat(runner.commands()).hasSize(2);

        clock.advance(Duration.ofHours(1));
        assertThat(trust.trusted()).as("trusted for the run").isTrue();
        assertThat(runner.commands()).hasSize(2);
    }

    @Test
    void aServerDateWithinTheBoundTrustsTheClockWithoutNtp() {
        runner.answer(TIMEDATECTL, CommandResult.ok("no\n"));

        trust.serverDate(clock.instant().plus(Duration.ofMinutes(4)));

        assertThat(trust.trusted()).isTrue();
        assertThat(runner.commands()).isEmpty();
    }

    @Test
    void aServerDateBeyondTheBoundTakesTrustAwayOnceUntilADateAgreesAgain() {
        LoggedWarnings logged = LoggedWarnings.of(ClockTrust.class);
        List<LogRecord> warnings = logged.records();
        try {
            runner.answer(TIMEDATECTL, CommandResult.ok("yes\n"));
            assertThat(trust.trusted()).isTrue();

            Instant server = Instant.parse("2025-06-01T12:06:00Z");
            trust.serverDate(server);
            trust.serverDate(server.plusSeconds(300));

            assertThat(trust.trusted()).as("the server's word over timedatectl's").isFalse();
            assertThat(trust.reason()).isEqualTo("the clock is not synchronized yet (timedatectl NTPSynchronized=yes, "
                    + "server Date off by more than 300 s)");
            assertThat(warnings).singleElement().satisfies(record -> assertThat(record.getMessage())
                    .contains("2025-06-01T12:06:00Z").contains("2025-06-01T12:00:00Z").contains("360 s"));

            trust.serverDate(clock.instant().minusSeconds(299));
            assertThat(trust.trusted()).isTrue();
        } finally {
            logged.close();
        }
    }

    @Test
    void aStaleBootClockThatTheServerContradictsIsNotTrustedEvenIfNtpLaterSaysYes() {
        runner.answer(TIMEDATECTL, CommandResult.ok("no\n"));
        assertThat(trust.trusted()).isFalse();
        trust.serverDate(clock.instant().plus(Duration.ofDays(200)));
        runner.answer(TIMEDATECTL, CommandResult.ok("yes\n"));
        clock.advance(Duration.ofMinutes(2));

        assertThat(trust.trusted()).as("until the next server Date agrees").isFalse();

        trust.serverDate(clock.instant());
        assertThat(trust.trusted()).isTrue();
    }

    @Test
    void aScheduledUpdateWaitsForATrustedClockThenInstalls(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.clockTrust = new ClockTrust(command -> CommandResult.ok("no\n"), device.clock,
                    device.clock::nanoTime, Duration.ofMinutes(5));
            device.publish("v1.1.0", UpdateType.SCHEDULED, List.of()); // scheduled_for a minute ago, idle 2 h
            UpdateMachine machine = device.machine();
            for (int i = 0; i < 3; i++) {
                device.tick(machine);
                device.clock.advance(Duration.ofMinutes(10));
            }
            assertThat(machine.current().name()).isEqualTo("waiting");
            assertThat(device.server.reportedStatuses()).isEmpty();

            device.clockTrust.serverDate(device.clock.instant());
            device.runToIdle(machine);

            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }

    @Test
    void anUrgentUpdateDoesNotWaitForTheClockSinceIdleTimeIsMonotonic(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.clockTrust = new ClockTrust(command -> CommandResult.exit(127, ""), device.clock,
                    device.clock::nanoTime, Duration.ofMinutes(5));
            device.publish("v1.1.0", UpdateType.URGENT, List.of());

            device.runToIdle(device.machine());

            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }
}
