package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static dev.javia.ota.protocol.api.UpdateStatus.COMPLETED;
import static dev.javia.ota.protocol.api.UpdateStatus.DOWNLOADING;
import static dev.javia.ota.protocol.api.UpdateStatus.FAILED;
import static dev.javia.ota.protocol.api.UpdateStatus.INSTALLING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The update as a table of scenarios (Mender's way): for each, the chain of states written to disk, the exact
 * command lines run, the statuses the server received, and the release the device ends on.
 */
class UpdateMachineTests {

    static final String APT_UPDATE = "apt-get -o DPkg::Lock::Timeout=120 update";
    static final String APT_KNOWN = "apt-cache pkgnames -- libopus0";
    static final String APT_INSTALL = "apt-get -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends "
            + "-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -- libopus0";
    static final String VENV = "python3 -m venv $INSTALL/releases/v1.1.0/venv";
    static final String PIP = "$INSTALL/releases/v1.1.0/venv/bin/pip install --no-input --disable-pip-version-check "
            + "-r $INSTALL/releases/v1.1.0/requirements.txt";
    static final String RESTART = "systemctl --no-block restart voice-assistant-client";
    static final List<String> INSTALLED = List.of("waiting", "downloading", "verifying", "extracting",
            "system-packages", "dependencies", "switching", "restarting", "health-check");

    record Scenario(String name, Consumer<DeviceFixture> arrange, List<String> chain, List<String> commands,
            List<UpdateStatus> reports, String failureMentions, String endsOn) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Scenario> scenarios() {
        return Stream.of(
                new Scenario("success", device -> {
                }, concat(INSTALLED, "reporting", "done", "idle"),
                        List.of(APT_UPDATE, APT_KNOWN, APT_INSTALL, VENV, PIP, RESTART),
                        List.of(DOWNLOADING, INSTALLING, COMPLETED), null, "v1.1.0"),
                new Scenario("checksum mismatch", device -> device.server.offer(withSha(device, "0".repeat(64)),
                        device.clock.instant()),
                        List.of("waiting", "downloading", "verifying", "failed", "reporting", "done", "idle"),
                        List.of(), List.of(DOWNLOADING, FAILED), "checksum mismatch", "v1.0.0"),
                new Scenario("apt failure", device -> device.runner.answer(List.of("apt-get", "-o",
                                "DPkg::Lock::Timeout=120", "install"),
                        CommandResult.exit(100, "E: Unable to correct problems, you have held broken packages.")),
                        List.of("waiting", "downloading", "verifying", "extracting", "system-packages", "failed",
                                "reporting", "done", "idle"),
                        List.of(APT_UPDATE, APT_KNOWN, APT_INSTALL), List.of(DOWNLOADING, INSTALLING, FAILED),
                        "held broken packages", "v1.0.0"),
                new Scenario("service does not come up", device -> device.runner.answer(List.of("systemctl",
                                "is-active"), CommandResult.exit(3, "failed\n")),
                        concat(INSTALLED, "rolling-back", "reporting", "done", "idle"),
                        List.of(APT_UPDATE, APT_KNOWN, APT_INSTALL, VENV, PIP, RESTART, RESTART),
                        List.of(DOWNLOADING, INSTALLING, FAILED), "switched back to v1.0.0", "v1.0.0"),
                new Scenario("service crash-loops", device -> {
                    int[] calls = {0};
                    device.runner.answer(List.of("systemctl", "is-active"), command ->
                            CommandResult.exit(calls[0]++ % 3 == 2 ? 0 : 3, calls[0] % 3 == 0 ? "active\n"
                                    : "activating\n"));
                }, concat(INSTALLED, "rolling-back", "reporting", "done", "idle"),
                        List.of(APT_UPDATE, APT_KNOWN, APT_INSTALL, VENV, PIP, RESTART, RESTART),
                        List.of(DOWNLOADING, INSTALLING, FAILED), "did not stay active", "v1.0.0"),
                new Scenario("superseded before it started", device -> device.server.statusRefusedWhen(
                        report -> report.status() == DOWNLOADING),
                        List.of("waiting", "downloading", "done", "idle"), List.of(), List.of(), null, "v1.0.0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void runsTheScenario(Scenario scenario, @TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publish("v1.1.0", UpdateType.URGENT, List.of("libopus0"));
            scenario.arrange().accept(device);

            device.runToIdle(device.machine());

            assertRanAsIn(scenario, device);
            assertThat(device.stateDir.resolve("staging")).satisfiesAnyOf(
                    staging -> assertThat(staging).doesNotExist(), staging -> assertThat(staging).isEmptyDirectory());
            if (scenario.endsOn().equals("v1.0.0")) {
                assertThat(device.root.release("v1.1.0")).doesNotExist();
            }
        }
    }

    /**
     * What every scenario table checks after the run: the state chain, the commands (health polls aside), the
     * reports, the last failure's message, and the release {@code current} and {@code VERSION} name.
     */
    static void assertRanAsIn(Scenario scenario, DeviceFixture device) {
        assertThat(device.chain).as("state chain").containsExactlyElementsOf(scenario.chain());
        assertThat(device.commandLines().stream().filter(line -> !line.startsWith("systemctl is-active")))
                .as("commands").containsExactlyElementsOf(scenario.commands());
        assertThat(device.server.reportedStatuses()).as("reports").containsExactlyElementsOf(scenario.reports());
        if (scenario.failureMentions() != null) {
            StatusReport last = device.server.reports().get(device.server.reports().size() - 1);
            assertThat(last.errorMessage()).contains(scenario.failureMentions());
        }
        assertThat(device.currentTarget()).isEqualTo("releases/" + scenario.endsOn());
        assertThat(device.versionFile()).isEqualTo(scenario.endsOn());
    }

    @Test
    void keepsReportsWhileTheServerIsDownAndSendsThemInOrderLater(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publish("v1.1.0", UpdateType.URGENT, List.of());
            device.server.statusUnavailableWhen(report -> true);
            UpdateMachine machine = device.machine();

            device.tick(machine);
            device.tick(machine);

            assertThat(machine.current().name()).isEqualTo("reporting");
            assertThat(device.server.reportedStatuses()).isEmpty();
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");

            // the agent restarts while the server is still down: the owed reports are on disk
            UpdateMachine restarted = device.machine();
            device.tick(restarted);
            assertThat(restarted.current().name()).isEqualTo("reporting");

            device.server.statusUnavailableWhen(report -> false);
            device.tick(restarted);

            assertThat(restarted.idle()).isTrue();
            assertThat(device.server.reportedStatuses()).containsExactly(DOWNLOADING, INSTALLING, COMPLETED);
            assertThat(device.chain).endsWith("health-check", "reporting", "reporting", "done", "idle");
        }
    }

    @Test
    void keepsThePreviousReleaseForOneMoreUpdate(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publish("v1.1.0", UpdateType.URGENT, List.of());
            device.runToIdle(device.machine());
            assertThat(device.root.release("v1.0.0")).isDirectory();

            device.publish("v1.2.0", UpdateType.URGENT, List.of());
            device.runToIdle(device.machine());

            assertThat(device.currentTarget()).isEqualTo("releases/v1.2.0");
            assertThat(device.root.release("v1.1.0")).isDirectory();
            assertThat(device.root.release("v1.0.0")).doesNotExist();
        }
    }

    @Test
    void resumesABrokenDownloadWithRange(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.URGENT, List.of());
            device.server.breakNextDownloadAfter(200);
            UpdateMachine machine = device.machine();

            device.tick(machine);
            assertThat(machine.current().name()).isEqualTo("downloading");
            assertThat(device.stateDir.resolve("staging/" + offer.id() + ".zip")).hasSize(200);

            device.runToIdle(machine);

            assertThat(device.server.requests().stream().map(r -> r.getHeaders().get("Range")))
                    .contains("bytes=200-");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
            assertThat(device.server.reportedStatuses()).containsExactly(DOWNLOADING, INSTALLING, COMPLETED);
        }
    }

    @Test
    void waitsWhileTheUserIsActive(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publish("v1.1.0", UpdateType.URGENT, List.of());
            device.idle = java.time.Duration.ofMinutes(59);
            UpdateMachine machine = device.machine();

            device.tick(machine);
            device.tick(machine);

            assertThat(machine.current().name()).isEqualTo("waiting");
            assertThat(device.chain).containsExactly("waiting");
            assertThat(device.server.reportedStatuses()).isEmpty();

            device.idle = java.time.Duration.ofMinutes(60);
            device.runToIdle(machine);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }

    @Test
    void reRegistersWhenTheTokenIsRefused(@TempDir Path dir) throws Exception {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publish("v1.1.0", UpdateType.URGENT, List.of());
            device.session.ensureRegistered();
            device.server.revokeToken();

            device.runToIdle(device.machine());

            assertThat(device.server.registrations()).isEqualTo(2);
            assertThat(device.server.reportedStatuses()).containsExactly(DOWNLOADING, INSTALLING, COMPLETED);
            assertThat(Files.readString(dir.resolve("home/.javia_device_token")).strip()).isEqualTo("token-2");
        }
    }

    private static UpdateOffer withSha(DeviceFixture device, String sha256) {
        UpdateOffer offer = device.server.reports().isEmpty() ? offerOf(device) : null;
        return new UpdateOffer(offer.id(), offer.version(), offer.updateType(), offer.description(),
                offer.packageUrl(), sha256, offer.sizeBytes(), offer.requiresSystemPackages(), offer.systemPackages(),
                offer.rollback());
    }

    private static UpdateOffer offerOf(DeviceFixture device) {
        return device.session.check().update();
    }

    static List<String> concat(List<String> head, String... tail) {
        return Stream.concat(head.stream(), Stream.of(tail)).toList();
    }
}
