package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.agent.update.UpdateMachineTests.Scenario;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static dev.javia.ota.agent.update.UpdateMachineTests.concat;
import static dev.javia.ota.protocol.api.UpdateStatus.COMPLETED;
import static dev.javia.ota.protocol.api.UpdateStatus.DOWNLOADING;
import static dev.javia.ota.protocol.api.UpdateStatus.FAILED;
import static dev.javia.ota.protocol.api.UpdateStatus.INSTALLING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The version rule as a table: an offer at or below the installed version is installed only as the operator's
 * rollback, and then through the same steps as any update. For each: the states written, the commands run, what
 * the server received, what was downloaded and the release the device ends on.
 */
class RollbackOfferTests {

    static final String VENV = "python3 -m venv $INSTALL/releases/v1.0.0/venv";
    static final String PIP = "$INSTALL/releases/v1.0.0/venv/bin/pip install --no-input --disable-pip-version-check "
            + "-r $INSTALL/releases/v1.0.0/requirements.txt";
    static final List<String> INSTALL_COMMANDS = List.of(VENV, PIP, UpdateMachineTests.RESTART);
    static final List<String> INSTALLED = concat(UpdateMachineTests.INSTALLED, "reporting", "done", "idle");
    static final List<String> REFUSED = List.of("reporting", "done", "idle");

    /** The columns of {@link UpdateMachineTests}' table; a download happened exactly when one was reported. */
    static Stream<Scenario> scenarios() {
        return Stream.of(
                new Scenario("a lower version without rollback is refused", device -> {
                    device.installRelease("v1.1.0");
                    device.publish("v1.0.0", UpdateType.URGENT, List.of(), false);
                }, REFUSED, List.of(), List.of(FAILED), "refused v1.0.0: it is not above the installed v1.1.0 and "
                        + "the offer is not a rollback; a downgrade needs the operator's rollback", "v1.1.0"),
                new Scenario("a lower version from an older server (no rollback field) is refused", device -> {
                    device.installRelease("v1.1.0");
                    device.server.rollbackField(false);
                    device.publish("v1.0.0", UpdateType.URGENT, List.of(), false);
                }, REFUSED, List.of(), List.of(FAILED), "is not a rollback", "v1.1.0"),
                new Scenario("the installed version is not installed again",
                        device -> device.publish("v1.0.0", UpdateType.URGENT, List.of(), false),
                        REFUSED, List.of(), List.of(FAILED), "refused v1.0.0: it is the installed version",
                        "v1.0.0"),
                new Scenario("a rollback to the installed version is not installed again",
                        device -> device.publish("v1.0.0", UpdateType.URGENT, List.of(), true),
                        REFUSED, List.of(), List.of(FAILED), "it is the installed version", "v1.0.0"),
                new Scenario("a lower version with rollback is installed", device -> {
                    device.installRelease("v1.1.0");
                    InstallRoot.deleteTree(device.root.release("v1.0.0"));
                    device.publish("v1.0.0", UpdateType.URGENT, List.of(), true);
                }, INSTALLED, INSTALL_COMMANDS, List.of(DOWNLOADING, INSTALLING, COMPLETED), null, "v1.0.0"),
                new Scenario("a rollback onto the release kept on disk replaces it whole", device -> {
                    device.installRelease("v1.1.0");
                    write(device.root.release("v1.0.0").resolve("leftover.py"), "old = True\n");
                    device.publish("v1.0.0", UpdateType.URGENT, List.of(), true);
                }, INSTALLED, INSTALL_COMMANDS, List.of(DOWNLOADING, INSTALLING, COMPLETED), null, "v1.0.0"),
                new Scenario("a rollback whose health check fails switches back to the version that ran", device -> {
                    device.installRelease("v1.1.0");
                    device.runner.answer(List.of("systemctl", "is-active"), command ->
                            device.currentTarget().endsWith("v1.0.0") ? CommandResult.exit(3, "failed\n")
                                    : CommandResult.ok("active\n"));
                    device.publish("v1.0.0", UpdateType.URGENT, List.of(), true);
                }, concat(UpdateMachineTests.INSTALLED, "rolling-back", "reporting", "done", "idle"),
                        concat(INSTALL_COMMANDS, UpdateMachineTests.RESTART),
                        List.of(DOWNLOADING, INSTALLING, FAILED), "switched back to v1.1.0", "v1.1.0"),
                new Scenario("a higher version from an older server (no rollback field) is installed as today",
                        device -> {
                            device.server.rollbackField(false);
                            device.publish("v1.1.0", UpdateType.URGENT, List.of(), false);
                        }, INSTALLED, List.of(UpdateMachineTests.VENV, UpdateMachineTests.PIP,
                        UpdateMachineTests.RESTART), List.of(DOWNLOADING, INSTALLING, COMPLETED), null, "v1.1.0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void followsTheVersionRule(Scenario scenario, @TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            scenario.arrange().accept(device);
            String ranBefore = device.currentTarget();

            device.runToIdle(device.machine());

            UpdateMachineTests.assertRanAsIn(scenario, device);
            boolean downloaded = scenario.reports().contains(DOWNLOADING);
            assertThat(downloads(device)).as("downloads").isEqualTo(downloaded ? 1 : 0);
            if (scenario.chain().equals(REFUSED)) {
                assertThat(device.currentTarget()).as("current never moved").isEqualTo(ranBefore);
                assertThat(device.root.release("v1.0.0")).as("a refusal deletes no release").isDirectory();
            }
            if (scenario.endsOn().equals("v1.0.0") && downloaded) {
                assertFreshlyExtracted(device.root.release("v1.0.0"));
                assertThat(device.root.release("v1.1.0")).as("the release rolled back from is kept").isDirectory();
            }
            if (scenario.reports().contains(FAILED) && downloaded) {
                assertThat(device.root.release("v1.0.0")).as("the failed rollback's release").doesNotExist();
            }
        }
    }

    @Test
    void aRefusedOfferIsReportedOnceThoughTheServerKeepsOfferingIt(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.installRelease("v1.1.0");
            UpdateOffer offer = device.publish("v1.0.0", UpdateType.URGENT, List.of(), false);
            UpdateMachine machine = device.runToIdle(device.machine());

            // a server that did not record the failure offers it again at the next checks
            device.server.offer(offer, device.clock.instant());
            device.tick(machine);
            device.tick(machine);

            assertThat(machine.idle()).isTrue();
            assertThat(device.server.reportedStatuses()).containsExactly(FAILED);
            assertThat(downloads(device)).isZero();
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }

    @Test
    void aNewerOfferThatReplacesAWaitingOneIsHeldToTheRuleToo(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.installRelease("v1.1.0");
            device.idle = java.time.Duration.ZERO;
            device.publish("v1.2.0", UpdateType.URGENT, List.of(), false);
            UpdateMachine machine = device.machine();
            device.tick(machine);
            assertThat(machine.current().name()).isEqualTo("waiting");

            device.publish("v1.0.0", UpdateType.URGENT, List.of(), false);
            device.tick(machine);

            assertThat(machine.idle()).isTrue();
            assertThat(device.chain).containsExactly("waiting", "reporting", "done", "idle");
            assertThat(device.server.reports()).singleElement().satisfies(report -> assertThat(report.errorMessage())
                    .startsWith("refused v1.0.0: it is not above the installed v1.1.0"));
        }
    }

    /** State changes of an uninterrupted rollback, waiting to idle: the table's rollback rows assert that chain. */
    static Stream<Integer> rollbackCuts() {
        return IntStream.rangeClosed(1, INSTALLED.size()).boxed();
    }

    /**
     * The power goes after state k of a rollback was written: the next start goes on as a rollback (the flag is in
     * the state file with the offer), so it is not refused as a downgrade half-way, and ends on the rolled-back
     * release. k = 1 is the cut between the offer and the install.
     */
    @ParameterizedTest(name = "cut after state {0}")
    @MethodSource("rollbackCuts")
    void aRollbackCutByPowerLossResumesAsARollback(int k, @TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.installRelease("v1.1.0");
            device.publish("v1.0.0", UpdateType.URGENT, List.of(), true);
            int[] saves = {0};
            device.afterSave = name -> {
                if (++saves[0] == k) {
                    throw new DeviceFixture.PowerCut("after saving " + name);
                }
            };
            assertThatThrownBy(() -> device.runToIdle(device.machine())).isInstanceOf(DeviceFixture.PowerCut.class);
            if (k == 1) {
                assertThat(Files.readString(device.stateDir.resolve(StateFile.NAME)))
                        .contains("\"state\":\"waiting\"").contains("\"rollback\":true");
            }

            device.afterSave = name -> {
            };
            device.runToIdle(device.machine());

            assertThat(device.server.reportedStatuses()).last().isEqualTo(COMPLETED);
            assertThat(device.server.reports()).noneMatch(report -> report.status() == FAILED);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            assertThat(device.versionFile()).isEqualTo("v1.0.0");
            assertFreshlyExtracted(device.root.release("v1.0.0"));
        }
    }

    /** The package's files, none of what the directory held before (the fixture's client.py, a leftover). */
    private static void assertFreshlyExtracted(Path release) throws IOException {
        assertThat(release.resolve("leftover.py")).doesNotExist();
        assertThat(Files.readString(release.resolve("client.py"))).isEqualTo("print('javia v1.0.0')\n");
        assertThat(release.resolve("audio/codec.py")).isRegularFile();
        assertThat(Files.readString(release.resolve("VERSION")).strip()).isEqualTo("v1.0.0");
        assertThat(release.resolveSibling(".v1.0.0.partial")).doesNotExist();
    }

    private static long downloads(DeviceFixture device) {
        return device.server.requests().stream().filter(r -> r.getUrl().encodedPath().endsWith("/download")).count();
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
