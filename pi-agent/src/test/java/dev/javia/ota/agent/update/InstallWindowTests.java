package dev.javia.ota.agent.update;

import dev.javia.ota.agent.testing.LoggedWarnings;
import dev.javia.ota.agent.transport.ServerUnavailableException;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.logging.Level;

import static dev.javia.ota.protocol.api.UpdateStatus.COMPLETED;
import static dev.javia.ota.protocol.api.UpdateStatus.DOWNLOADING;
import static dev.javia.ota.protocol.api.UpdateStatus.INSTALLING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The night's window on the device: a scheduled install does not start at or after the check's
 * {@code window_ends_at}; an urgent one, or an answer without it (an older server), starts as before.
 */
class InstallWindowTests {

    @Test
    void aScheduledUpdateWhoseWindowHasClosedWaitsForTheNextNightsTurn(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir);
             LoggedWarnings lines = LoggedWarnings.at(Level.INFO, "dev.javia.ota.agent.update")) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.SCHEDULED, List.of()); // its turn a minute ago
            device.server.windowEndsAt(device.clock.instant().minusSeconds(1));
            UpdateMachine machine = device.machine();
            for (int i = 0; i < 3; i++) {
                device.tick(machine);
                device.clock.advance(Duration.ofMinutes(5));
            }
            assertThat(machine.current().name()).isEqualTo("waiting");
            assertThat(device.server.reportedStatuses()).isEmpty();
            assertThat(lines.records()).filteredOn(r -> r.getMessage().contains("missed tonight's window"))
                    .as("one line, not one a tick").hasSize(1);

            Instant nextTurn = device.clock.instant().plus(Duration.ofHours(14));
            device.server.offer(offer, nextTurn);
            device.server.windowEndsAt(nextTurn.plus(Duration.ofHours(3)));
            device.tick(machine);
            assertThat(machine.current().name()).isEqualTo("waiting");
            device.clock.advance(Duration.ofHours(14));
            device.runToIdle(machine);

            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
            assertThat(device.server.reportedStatuses()).containsExactly(DOWNLOADING, INSTALLING, COMPLETED);
        }
    }

    @Test
    void aScheduledUpdateStartsAtItsTurnWhileItsWindowIsOpen(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.SCHEDULED, List.of());
            Instant turn = device.clock.instant().plus(Duration.ofHours(1));
            device.server.offer(offer, turn);
            device.server.windowEndsAt(turn.plus(Duration.ofHours(3)));
            UpdateMachine machine = device.machine();
            device.tick(machine);
            assertThat(machine.current().name()).isEqualTo("waiting");

            device.clock.advance(Duration.ofHours(1));
            device.runToIdle(machine);

            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }

    @Test
    void anUrgentUpdateStartsWhateverTheWindow(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publish("v1.1.0", UpdateType.URGENT, List.of());
            device.server.windowEndsAt(device.clock.instant().minus(Duration.ofHours(8)));

            device.runToIdle(device.machine());

            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }

    @Test
    void anAnswerWithoutAWindowsEndStartsAsBefore(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.SCHEDULED, List.of());
            device.server.offer(offer, device.clock.instant().minus(Duration.ofHours(10))); // an older server

            device.runToIdle(device.machine());

            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }

    @Test
    void anAgentStartedAfterTheWindowClosedKeepsItsEndFromTheStateFile(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.SCHEDULED, List.of());
            Instant turn = device.clock.instant().plus(Duration.ofHours(1));
            device.server.offer(offer, turn);
            device.server.windowEndsAt(turn.plus(Duration.ofHours(3)));
            device.tick(device.machine());

            // the Pi was off through the window, and the server cannot be reached when it comes back
            device.server.down(true);
            device.clock.advance(Duration.ofHours(5));
            UpdateMachine restarted = device.machine();
            UpdateState state;
            try {
                state = restarted.advance();
            } catch (ServerUnavailableException e) {
                throw new AssertionError("started the install after its window, in " + restarted.current(), e);
            }

            assertThat(state.name()).isEqualTo("waiting");
            assertThat(state.job().windowEndsAt()).isEqualTo(turn.plus(Duration.ofHours(3)));
        }
    }
}
