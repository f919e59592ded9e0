package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Power loss at every step: the machine is stopped right after it wrote state k (before k ran), or in the middle of
 * the k-th system command; a new machine is started on the same disk, as the agent after a reboot. Whatever k, the
 * device must be on a whole release at the moment of the cut, and end on the right one with the right status.
 */
class PowerLossTests {

    /** State changes of an uninterrupted install, waiting to idle: healthy, then with a rollback. */
    static int steps(boolean healthy) {
        return UpdateMachineTests.INSTALLED.size() + (healthy ? 3 : 4);
    }

    /**
     * System commands of an uninterrupted install: apt (3), venv, pip, restart, then 16 health polls when
     * healthy; one failed poll and the restart of the old release when not.
     */
    static int commands(boolean healthy) {
        return 6 + (healthy ? 16 : 2);
    }

    static Stream<Arguments> cuts() {
        return Stream.of(true, false).flatMap(healthy -> IntStream.rangeClosed(1, steps(healthy))
                .mapToObj(k -> Arguments.of(healthy, k)));
    }

    static Stream<Arguments> commandCuts() {
        return Stream.of(true, false).flatMap(healthy -> IntStream.rangeClosed(1, commands(healthy))
                .mapToObj(k -> Arguments.of(healthy, k)));
    }

    @ParameterizedTest(name = "healthy={0}")
    @ValueSource(booleans = {true, false})
    void theSweepsCoverEveryStepAndEveryCommandOfAnUninterruptedRun(boolean healthy, @TempDir Path dir) {
        try (DeviceFixture device = newDevice(dir, healthy)) {
            device.runToIdle(device.machine());
            assertThat(device.chain).hasSize(steps(healthy));
            assertThat(device.runner.commands()).hasSize(commands(healthy));
        }
    }

    @ParameterizedTest(name = "healthy={0}, cut after state {1}")
    @MethodSource("cuts")
    void endsOnAWholeReleaseWhereverThePowerIsCut(boolean healthy, int k, @TempDir Path dir) throws IOException {
        try (DeviceFixture device = newDevice(dir, healthy)) {
            int[] saves = {0};
            device.afterSave = name -> {
                if (++saves[0] == k) {
                    throw new DeviceFixture.PowerCut("after saving " + name);
                }
            };
            assertThatThrownBy(() -> device.runToIdle(device.machine())).isInstanceOf(DeviceFixture.PowerCut.class);
            assertOnAWholeRelease(device);

            device.afterSave = name -> {
            };
            device.runToIdle(device.machine());

            assertEndsRight(device, healthy);
        }
    }

    @ParameterizedTest(name = "healthy={0}, cut during command {1}")
    @MethodSource("commandCuts")
    void endsOnAWholeReleaseWhenTheCutComesDuringACommand(boolean healthy, int k, @TempDir Path dir)
            throws IOException {
        try (DeviceFixture device = newDevice(dir, healthy)) {
            int[] commands = {0};
            device.runner.beforeEach(command -> {
                if (++commands[0] == k) {
                    throw new DeviceFixture.PowerCut("during " + command.display());
                }
            });
            assertThatThrownBy(() -> device.runToIdle(device.machine())).isInstanceOf(DeviceFixture.PowerCut.class);
            assertOnAWholeRelease(device);

            device.runner.beforeEach(command -> {
            });
            device.runToIdle(device.machine());

            assertEndsRight(device, healthy);
        }
    }

    /** Every step of the install proper, where an agent that dies each time must give the update up. */
    static Stream<String> installSteps() {
        return UpdateMachineTests.INSTALLED.stream().filter(step -> !step.equals("waiting"));
    }

    /**
     * Issue 11: an agent that ran out of memory in verifying at every start resumed there and died again, for ever
     * (50 transitions at RestartSec=10), and no report reached the server. Now the third stop in the same step
     * without progress ends the update: cleaned up, switched back when past the switch, reported failed.
     */
    @ParameterizedTest(name = "dies in {0} at every start")
    @MethodSource("installSteps")
    void anAgentThatDiesInTheSameStepAtEveryStartGivesTheUpdateUp(String step, @TempDir Path dir) throws IOException {
        try (DeviceFixture device = newDevice(dir, true)) {
            device.afterSave = name -> {
                if (name.equals(step)) {
                    throw new DeviceFixture.PowerCut("out of memory in " + name);
                }
            };

            int starts = startUntilIdle(device, 10);

            assertThat(starts).as("three deaths, then a start that gives up").isEqualTo(1 + UpdateMachine.MAX_STOPS_IN_STEP);
            List<UpdateStatus> reports = device.server.reportedStatuses();
            assertThat(reports).last().isEqualTo(UpdateStatus.FAILED);
            assertThat(device.server.reports().get(reports.size() - 1).errorMessage())
                    .startsWith(step + ": the agent stopped 3 times in this step without getting further (likely out "
                            + "of memory or a crash");
            assertThat(device.chain).filteredOn(step::equals).hasSize(UpdateMachine.MAX_STOPS_IN_STEP);
            assertOnAWholeRelease(device);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            assertThat(device.versionFile()).isEqualTo("v1.0.0");
            assertThat(device.root.release("v1.1.0")).doesNotExist();
            assertThat(device.root.release("v1.1.0").resolveSibling(".v1.1.0.partial")).doesNotExist();
            assertThat(device.stateDir.resolve("staging")).satisfiesAnyOf(
                    staging -> assertThat(staging).doesNotExist(), staging -> assertThat(staging).isEmptyDirectory());
        }
    }

    @Test
    void aDownloadThatGetsFurtherBeforeEachStopIsNotGivenUp(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = newDevice(dir, true)) {
            Path zip = device.workDir.resolve("update_v1.1.0.zip");
            Path part = device.stateDir.resolve("staging").resolve(device.session.check().update().id() + ".zip");
            byte[] whole = Files.readAllBytes(zip);
            int stops = 2 * UpdateMachine.MAX_STOPS_IN_STEP;
            int[] downloads = {0};
            // each run of the download gets 100 bytes further, then the agent dies
            device.afterSave = name -> {
                if (name.equals("downloading") && downloads[0] < stops) {
                    downloads[0]++;
                    try {
                        Files.createDirectories(part.getParent());
                        Files.write(part, java.util.Arrays.copyOf(whole, 100 * downloads[0]));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    throw new DeviceFixture.PowerCut("during the download");
                }
            };

            int starts = startUntilIdle(device, 10);

            assertThat(starts).isEqualTo(stops + 1);
            assertThat(device.server.reportedStatuses()).last().isEqualTo(UpdateStatus.COMPLETED);
            assertThat(device.server.requests().stream().map(r -> r.getHeaders().get("Range")))
                    .contains("bytes=" + 100 * stops + "-");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }

    @Test
    void aLoopAcrossStepsIsGivenUpAfterTheTransitionLimit(@TempDir Path dir) {
        try (DeviceFixture device = newDevice(dir, true)) {
            device.maxTransitions = 6;
            // the device goes down once in each step it enters: every start gets one step further
            java.util.Set<String> survived = new java.util.HashSet<>();
            device.afterSave = name -> {
                if (!name.equals("waiting") && survived.add(name)) {
                    throw new DeviceFixture.PowerCut("once in " + name);
                }
            };

            int starts = startUntilIdle(device, 30);

            assertThat(starts).isLessThan(30);
            assertThat(device.server.reportedStatuses()).last().isEqualTo(UpdateStatus.FAILED);
            assertThat(device.server.reports().get(device.server.reports().size() - 1).errorMessage())
                    .contains("stopped after 6 state changes (limit 6)");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
        }
    }

    /** Starts the agent on the device's disk until an update has run to idle; returns how many starts it took. */
    private static int startUntilIdle(DeviceFixture device, int maxStarts) {
        int starts = 0;
        UpdateMachine machine = null;
        while (starts < maxStarts && (machine == null || !machine.idle())) {
            starts++;
            try {
                machine = device.runToIdle(device.machine());
            } catch (DeviceFixture.PowerCut cut) {
                machine = null;
            }
        }
        assertThat(machine).as("idle within " + maxStarts + " starts").isNotNull();
        return starts;
    }

    private static DeviceFixture newDevice(Path dir, boolean healthy) {
        DeviceFixture device = new DeviceFixture(dir);
        device.publish("v1.1.0", UpdateType.URGENT, List.of("libopus0"));
        if (!healthy) {
            device.runner.answer(List.of("systemctl", "is-active"), command -> {
                // the old release runs fine; the new one fails
                String target = device.currentTarget();
                return target.endsWith("v1.1.0") ? CommandResult.exit(3, "failed\n") : CommandResult.ok("active\n");
            });
        }
        return device;
    }

    /** current names a release directory that is complete: its files are there, its VERSION is its name. */
    private static void assertOnAWholeRelease(DeviceFixture device) throws IOException {
        String target = device.currentTarget();
        assertThat(target).isIn("releases/v1.0.0", "releases/v1.1.0");
        Path release = device.installDir.resolve(target);
        String version = release.getFileName().toString();
        assertThat(Files.readString(release.resolve("VERSION")).strip()).isEqualTo(version);
        assertThat(release.resolve("client.py")).isRegularFile();
        if (version.equals("v1.1.0")) {
            assertThat(release.resolve("audio/codec.py")).isRegularFile();
            assertThat(release.resolve("requirements.txt")).isRegularFile();
        }
    }

    private static void assertEndsRight(DeviceFixture device, boolean healthy) throws IOException {
        String expected = healthy ? "v1.1.0" : "v1.0.0";
        assertOnAWholeRelease(device);
        assertThat(device.currentTarget()).isEqualTo("releases/" + expected);
        assertThat(device.versionFile()).isEqualTo(expected);
        List<UpdateStatus> reports = device.server.reportedStatuses();
        assertThat(reports).last().isEqualTo(healthy ? UpdateStatus.COMPLETED : UpdateStatus.FAILED);
        assertThat(reports).doesNotContainSubsequence(UpdateStatus.COMPLETED, UpdateStatus.FAILED);
        if (!healthy) {
            assertThat(device.root.release("v1.1.0")).doesNotExist();
        }
        assertThat(device.stateDir.resolve("staging")).satisfiesAnyOf(
                staging -> assertThat(staging).doesNotExist(), staging -> assertThat(staging).isEmptyDirectory());
        assertThat(device.root.release("v1.1.0").resolveSibling(".v1.1.0.partial")).doesNotExist();
    }
}
