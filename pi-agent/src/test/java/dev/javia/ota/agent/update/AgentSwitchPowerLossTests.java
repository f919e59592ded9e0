package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.UpdateStatus;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Power loss at every step of the agent's own update, as {@link PowerLossTests} does for the app: the device goes
 * down right after state k was written (before it ran), or in the middle of the k-th system command, counted across
 * every agent process of the run; the next start runs the agent {@code current} names, as run-agent does after a
 * reboot. Whatever k, the device is at every cut on a whole agent release and a whole app release, and whenever the
 * trial is open with {@code current} at the new agent, {@code previous} names the old one (the guard's way back);
 * it ends where an uninterrupted run ends.
 */
class AgentSwitchPowerLossTests {

    /** The runs swept: with the app, agent-only, and one the guard reverts at the new agent's start. */
    enum Run {
        AGENT_AND_APP(true, DeviceFixture.CONTENT_GUARD),
        AGENT_ONLY(false, DeviceFixture.CONTENT_GUARD),
        REVERTED(true, AgentSelfUpdateTests.REVERTS_AT_START),
        /** From the layout before releases (the legacy jar, no current), agent-only. */
        FROM_LEGACY(false, DeviceFixture.CONTENT_GUARD);

        final boolean withApp;
        final DeviceFixture.Guard guard;

        Run(boolean withApp, DeviceFixture.Guard guard) {
            this.withApp = withApp;
            this.guard = guard;
        }

        /** States written by an uninterrupted run, waiting to idle, across its agent processes. */
        int steps() {
            switch (this) {
                case AGENT_AND_APP:
                    return AgentSelfUpdateTests.AGENT_PART.size() + AgentSelfUpdateTests.APP_PART.size() + 3;
                case AGENT_ONLY:
                case FROM_LEGACY:
                    return AgentSelfUpdateTests.AGENT_PART.size() + 4;
                default:
                    return 12;
            }
        }

        /**
         * System commands of an uninterrupted run: daemon-reload and the agent's restart; then venv, pip, the app's
         * restart and 16 health polls with the app.
         */
        int commands() {
            return this == AGENT_AND_APP ? 2 + 3 + 16 : 2;
        }

        boolean completes() {
            return this != REVERTED;
        }
    }

    static Stream<Arguments> cuts() {
        return Stream.of(Run.values()).flatMap(run -> IntStream.rangeClosed(1, run.steps())
                .mapToObj(k -> Arguments.of(run, k)));
    }

    static Stream<Arguments> commandCuts() {
        return Stream.of(Run.values()).flatMap(run -> IntStream.rangeClosed(1, run.commands())
                .mapToObj(k -> Arguments.of(run, k)));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Run.class)
    void theSweepsCoverEveryStepAndEveryCommandOfAnUninterruptedRun(Run run, @TempDir Path dir) throws IOException {
        try (DeviceFixture device = newDevice(dir, run)) {
            device.runAgentToIdle(run.guard);
            assertThat(device.chain).hasSize(run.steps());
            assertThat(device.runner.commands()).hasSize(run.commands());
            assertEndsRight(device, run);
        }
    }

    @ParameterizedTest(name = "{0}, cut after state {1}")
    @MethodSource("cuts")
    void endsOnWholeReleasesWhereverThePowerIsCut(Run run, int k, @TempDir Path dir) throws IOException {
        try (DeviceFixture device = newDevice(dir, run)) {
            int[] saves = {0};
            device.afterSave = name -> {
                if (++saves[0] == k) {
                    throw new DeviceFixture.PowerCut("after saving " + name);
                }
            };
            assertThatThrownBy(() -> device.runAgentToIdle(run.guard)).isInstanceOf(DeviceFixture.PowerCut.class);
            assertOnWholeReleases(device);

            device.afterSave = name -> {
            };
            device.runAgentToIdle(run.guard);

            assertEndsRight(device, run);
        }
    }

    @ParameterizedTest(name = "{0}, cut during command {1}")
    @MethodSource("commandCuts")
    void endsOnWholeReleasesWhenTheCutComesDuringACommand(Run run, int k, @TempDir Path dir) throws IOException {
        try (DeviceFixture device = newDevice(dir, run)) {
            int[] commands = {0};
            device.runner.beforeEach(command -> {
                if (++commands[0] == k) {
                    throw new DeviceFixture.PowerCut("during " + command.display());
                }
            });
            assertThatThrownBy(() -> device.runAgentToIdle(run.guard)).isInstanceOf(DeviceFixture.PowerCut.class);
            assertOnWholeReleases(device);

            device.runner.beforeEach(command -> {
            });
            device.runAgentToIdle(run.guard);

            assertEndsRight(device, run);
        }
    }

    /**
     * An agent that dies in the same step of its own update at every start gives the update up after the third stop,
     * as in the app's steps: the old agent runs again, on its release, and reports why.
     */
    @ParameterizedTest(name = "dies in {0} at every start")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"agent-extracting", "agent-switching",
            "carrying-forward"})
    void anAgentThatDiesInTheSameAgentStepAtEveryStartGivesTheUpdateUp(String step, @TempDir Path dir)
            throws IOException {
        try (DeviceFixture device = newDevice(dir, step.equals("carrying-forward") ? Run.AGENT_ONLY
                : Run.AGENT_AND_APP)) {
            device.afterSave = name -> {
                if (name.equals(step)) {
                    throw new DeviceFixture.PowerCut("out of memory in " + name);
                }
            };

            int starts = startUntilIdle(device, DeviceFixture.CONTENT_GUARD, 12);

            List<UpdateStatus> reports = device.server.reportedStatuses();
            assertThat(reports).last().isEqualTo(UpdateStatus.FAILED);
            assertThat(device.server.reports().get(reports.size() - 1).errorMessage())
                    .startsWith(step + ": the agent stopped 3 times in this step without getting further");
            assertOnWholeReleases(device);
            String agent = step.equals("carrying-forward") ? "v0.2.0" : "v0.1.0";
            assertThat(device.agentHome.currentRelease()).contains(agent);
            assertThat(device.agentVersion).isEqualTo(agent);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            if (agent.equals("v0.1.0")) {
                assertThat(device.agentHome.release("v0.2.0")).doesNotExist();
            }
            assertThat(starts).isLessThanOrEqualTo(2 + UpdateMachine.MAX_STOPS_IN_STEP + 1);
        }
    }

    /** A new agent that dies on trial at every start is the guard's to end (more starts than max_starts). */
    @org.junit.jupiter.api.Test
    void aNewAgentThatDiesOnTrialAtEveryStartIsPutBackByTheGuardsStartCount(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = newDevice(dir, Run.AGENT_AND_APP)) {
            device.afterSave = name -> {
                if (name.equals("agent-trial") && device.agentVersion.equals("v0.2.0")) {
                    throw new DeviceFixture.PowerCut("the new agent crashes on trial");
                }
            };
            DeviceFixture.Guard counting = new DeviceFixture.Guard() {
                @Override
                public void start(DeviceFixture d) {
                    AgentTrialFile file = new AgentTrialFile(d.stateDir);
                    file.read().filter(t -> t.isTrial() && d.agentCurrent().equals(t.to())).ifPresent(t -> {
                        int starts = Integer.parseInt(t.get("starts")) + 1;
                        file.write(t.with("starts", Integer.toString(starts)));
                        if (starts > AgentTrialFile.MAX_STARTS) {
                            d.guardReverts("the new agent v0.2.0 started " + starts + " times without checking in "
                                    + "with the server (it exits or crashes at start); the guard put v0.1.0 back");
                        }
                    });
                }
            };

            startUntilIdle(device, counting, 12);

            assertThat(device.server.reports().get(device.server.reports().size() - 1).errorMessage())
                    .startsWith("agent v0.2.0 was rolled back to v0.1.0: the new agent v0.2.0 started 4 times");
            assertThat(device.agentHome.currentRelease()).contains("v0.1.0");
            assertThat(device.agentHome.release("v0.2.0")).doesNotExist();
            assertOnWholeReleases(device);
        }
    }

    /** Starts the agent's unit until an update has run to idle; returns how many agent processes it took. */
    private static int startUntilIdle(DeviceFixture device, DeviceFixture.Guard guard, int maxRuns) {
        for (int run = 1; run <= maxRuns; run++) {
            try {
                device.runAgentToIdle(guard);
                return device.agentStarts;
            } catch (DeviceFixture.PowerCut cut) {
                // the agent died; systemd starts it again
            }
        }
        throw new AssertionError("not idle after " + maxRuns + " runs; chain " + device.chain);
    }

    private static DeviceFixture newDevice(Path dir, Run run) {
        DeviceFixture device = new DeviceFixture(dir);
        if (run == Run.FROM_LEGACY) {
            try {
                Files.delete(device.agentHome.current());
                InstallRoot.deleteTree(device.agentHome.release("v0.1.0"));
                AgentHomeTests.jar(device.agentHome.legacyJar(), "0.1.0");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        device.publishAgent("v1.1.0", "v0.2.0", run.withApp, true);
        return device;
    }

    /**
     * The agent run-agent would start is a whole release (jar, VERSION naming it) and so is {@code previous}; an open
     * trial with {@code current} at the new agent has {@code previous} at the old one; the app is on a whole release.
     */
    private static void assertOnWholeReleases(DeviceFixture device) throws IOException {
        AgentHome home = device.agentHome;
        String current = device.agentCurrent();
        assertThat(current).isIn("v0.1.0", "v0.2.0", "legacy");
        if (current.equals("legacy")) {
            assertThat(home.legacyJar()).isRegularFile();
        } else {
            assertWholeAgentRelease(home, current);
        }
        home.previousRelease().ifPresent(previous -> assertWholeAgentRelease(home, previous));
        Optional<AgentTrialFile.Trial> trial = new AgentTrialFile(device.stateDir).read();
        trial.ifPresent(t -> assertThat(t.state()).isIn("trial", "committed", "reverted"));
        if (trial.isPresent() && trial.get().isTrial() && current.equals("v0.2.0")) {
            assertThat(trial.get().from()).isIn("v0.1.0", "legacy");
            if (trial.get().from().equals("legacy")) {
                assertThat(home.legacyJar()).as("the guard's way back").isRegularFile();
            } else {
                assertThat(home.previousRelease()).as("the guard's way back").contains("v0.1.0");
            }
        }
        if (current.equals("v0.2.0")) {
            assertThat(trial).as("the new agent is current only on trial or committed").isPresent();
        }
        String app = device.currentTarget();
        assertThat(app).isIn("releases/v1.0.0", "releases/v1.1.0");
        Path release = device.installDir.resolve(app);
        assertThat(Files.readString(release.resolve("VERSION")).strip()).isEqualTo(release.getFileName().toString());
        assertThat(release.resolve("client.py")).isRegularFile();
    }

    private static void assertWholeAgentRelease(AgentHome home, String version) {
        try {
            assertThat(home.release(version).resolve("pi-agent.jar")).isRegularFile();
            assertThat(Files.readString(home.release(version).resolve("VERSION")).strip()).isEqualTo(version);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertEndsRight(DeviceFixture device, Run run) throws IOException {
        assertOnWholeReleases(device);
        AgentHome home = device.agentHome;
        String agent = run.completes() ? "v0.2.0" : "v0.1.0";
        assertThat(device.agentCurrent()).isEqualTo(agent);
        assertThat(device.agentVersion).as("the agent running at the end").isEqualTo(agent);
        assertThat(new AgentTrialFile(device.stateDir).read().orElseThrow().state())
                .isEqualTo(run.completes() ? "committed" : "reverted");
        assertThat(device.currentTarget()).isEqualTo("releases/" + (run.completes() ? "v1.1.0" : "v1.0.0"));
        List<UpdateStatus> reports = device.server.reportedStatuses();
        assertThat(reports).last().isEqualTo(run.completes() ? UpdateStatus.COMPLETED : UpdateStatus.FAILED);
        assertThat(reports).doesNotContainSubsequence(UpdateStatus.COMPLETED, UpdateStatus.FAILED);
        if (run.completes()) {
            assertThat(home.dropinLink()).as("the new release's drop-in").isSymbolicLink();
            assertThat(Files.readString(home.dropinLink())).contains("AGENT_FLAVOUR=v0.2.0");
        } else {
            assertThat(device.server.reports().get(reports.size() - 1).errorMessage())
                    .startsWith("agent v0.2.0 was rolled back to v0.1.0: ");
            assertThat(home.release("v0.2.0")).doesNotExist();
            assertThat(Files.isSymbolicLink(home.dropinLink())).as("v0.1.0 has no drop-in").isFalse();
        }
        assertThat(home.release("v0.2.0").resolveSibling(".v0.2.0.partial")).doesNotExist();
        assertThat(device.root.release("v1.1.0").resolveSibling(".v1.1.0.partial")).doesNotExist();
        assertThat(device.stateDir.resolve("staging")).satisfiesAnyOf(
                staging -> assertThat(staging).doesNotExist(), staging -> assertThat(staging).isEmptyDirectory());
    }
}
