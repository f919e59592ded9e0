package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.protocol.api.UpdateStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static dev.javia.ota.protocol.api.UpdateStatus.COMPLETED;
import static dev.javia.ota.protocol.api.UpdateStatus.DOWNLOADING;
import static dev.javia.ota.protocol.api.UpdateStatus.FAILED;
import static dev.javia.ota.protocol.api.UpdateStatus.INSTALLING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's own update as a table (Mender's way, as {@link UpdateMachineTests}): for each scenario the chain of
 * states written to disk across the agent processes that ran it (the old one, the new one after the restart of its
 * unit, the old one again after a revert), the command lines, the statuses the server received, the release of the
 * app and of the agent the device ends on, and what the trial file says.
 */
class AgentSelfUpdateTests {

    static final String RELOAD = "systemctl daemon-reload";
    static final String AGENT_RESTART = "systemctl --no-block restart " + DeviceFixture.AGENT_UNIT;
    static final String VENV = "python3 -m venv $INSTALL/releases/v1.1.0/venv";
    static final String PIP = "$INSTALL/releases/v1.1.0/venv/bin/pip install --no-input --disable-pip-version-check "
            + "-r $INSTALL/releases/v1.1.0/requirements.txt";
    static final String APP_RESTART = "systemctl --no-block restart voice-assistant-client";
    static final String APT_UPDATE = "apt-get -o DPkg::Lock::Timeout=120 update";

    /** The old agent's part: verified, extracted, switched, restarted into the new one, which resumes and commits. */
    static final List<String> AGENT_PART = List.of("waiting", "downloading", "verifying", "agent-extracting",
            "agent-switching", "agent-switching", "agent-trial");
    static final List<String> APP_PART = List.of("extracting", "system-packages", "dependencies", "switching",
            "restarting", "health-check");

    record Scenario(String name, String agentInPackage, boolean withApp, Consumer<DeviceFixture> arrange,
            DeviceFixture.Guard guard, List<String> chain, List<String> commands, List<UpdateStatus> reports,
            String failureMentions, String appEndsOn, String agentEndsOn, String trialEndsAs) {

        @Override
        public String toString() {
            return name;
        }
    }

    /** The guard finds the new agent wanting at its first start (it exits at once, or dies in a loop). */
    static final DeviceFixture.Guard REVERTS_AT_START = new DeviceFixture.Guard() {
        @Override
        public void start(DeviceFixture device) {
            new AgentTrialFile(device.stateDir).read().filter(AgentTrialFile.Trial::isTrial).ifPresent(trial ->
                    device.guardReverts("the new agent v0.2.0 started 4 times without checking in with the server "
                            + "(it exits or crashes at start); the guard put v0.1.0 back"));
        }
    };

    /** The guard's timer: the new agent runs but gets no answer from the server within the bound. */
    static final DeviceFixture.Guard REVERTS_WHEN_THE_BOUND_PASSES = new DeviceFixture.Guard() {
        @Override
        public boolean check(DeviceFixture device) {
            boolean trial = new AgentTrialFile(device.stateDir).read().filter(AgentTrialFile.Trial::isTrial)
                    .isPresent();
            if (trial && device.agentVersion.equals("v0.2.0")) {
                device.guardReverts("the new agent v0.2.0 did not check in with the server within 300 s; the guard "
                        + "put v0.1.0 back");
                return true;
            }
            return false;
        }
    };

    static Stream<Scenario> scenarios() {
        return Stream.of(
                new Scenario("a good agent release, agent-only: the release is carried forward", "v0.2.0", false,
                        device -> {
                        }, DeviceFixture.CONTENT_GUARD,
                        concat(AGENT_PART, "carrying-forward", "reporting", "done", "idle"),
                        List.of(RELOAD, AGENT_RESTART),
                        List.of(DOWNLOADING, INSTALLING, INSTALLING, INSTALLING, COMPLETED), null,
                        "v1.1.0", "v0.2.0", "committed"),
                new Scenario("agent and app: the agent first, then the app", "v0.2.0", true, device -> {
                }, DeviceFixture.CONTENT_GUARD, concat(concat(AGENT_PART, APP_PART), "reporting", "done", "idle"),
                        List.of(RELOAD, AGENT_RESTART, VENV, PIP, APP_RESTART),
                        List.of(DOWNLOADING, INSTALLING, INSTALLING, INSTALLING, COMPLETED), null, "v1.1.0", "v0.2.0",
                        "committed"),
                new Scenario("agent and app, the app unhealthy after the commit: the app alone rolls back", "v0.2.0",
                        true, device -> device.runner.answer(List.of("systemctl", "is-active"),
                                CommandResult.exit(3, "failed\n")), DeviceFixture.CONTENT_GUARD,
                        concat(concat(AGENT_PART, APP_PART), "rolling-back", "reporting", "done", "idle"),
                        List.of(RELOAD, AGENT_RESTART, VENV, PIP, APP_RESTART, APP_RESTART),
                        List.of(DOWNLOADING, INSTALLING, INSTALLING, INSTALLING, FAILED),
                        "voice-assistant-client failed after the restart; switched back to v1.0.0", "v1.0.0", "v0.2.0",
                        "committed"),
                new Scenario("the new agent does not start: the guard reverts, the old agent reports why", "v0.2.0",
                        true, device -> {
                        }, REVERTS_AT_START,
                        List.of("waiting", "downloading", "verifying", "agent-extracting", "agent-switching",
                                "agent-switching", "agent-trial", "agent-rolling-back", "failed", "reporting", "done",
                                "idle"),
                        List.of(RELOAD, AGENT_RESTART), List.of(DOWNLOADING, INSTALLING, FAILED),
                        "agent v0.2.0 was rolled back to v0.1.0: the new agent v0.2.0 started 4 times without "
                                + "checking in", "v1.0.0", "v0.1.0", "reverted"),
                new Scenario("the new agent never checks in: the guard's timer reverts, the old agent reports why",
                        "v0.2.0", true, device -> device.server.statusUnavailableWhen(report ->
                                device.agentVersion.equals("v0.2.0")), REVERTS_WHEN_THE_BOUND_PASSES,
                        List.of("waiting", "downloading", "verifying", "agent-extracting", "agent-switching",
                                "agent-switching", "agent-trial", "agent-trial", "agent-rolling-back", "failed",
                                "reporting", "done", "idle"),
                        List.of(RELOAD, AGENT_RESTART), List.of(DOWNLOADING, INSTALLING, INSTALLING, FAILED),
                        "agent v0.2.0 was rolled back to v0.1.0: the new agent v0.2.0 did not check in with the server "
                                + "within 300 s", "v1.0.0", "v0.1.0", "reverted"),
                new Scenario("the agent's unit cannot be restarted: the old agent puts itself back", "v0.2.0", true,
                        device -> device.runner.answer(List.of("systemctl", "--no-block", "restart",
                                DeviceFixture.AGENT_UNIT), CommandResult.exit(5, "Unit not found.")),
                        DeviceFixture.CONTENT_GUARD,
                        List.of("waiting", "downloading", "verifying", "agent-extracting", "agent-switching",
                                "agent-rolling-back", "failed", "reporting", "done", "idle"),
                        List.of(RELOAD, AGENT_RESTART, RELOAD), List.of(DOWNLOADING, INSTALLING, FAILED),
                        "agent-switching: systemctl --no-block restart javia-ota-agent.service failed: exit code 5: "
                                + "Unit not found.", "v1.0.0", "v0.1.0", "reverted"),
                new Scenario("agent and app, apt fails after the commit: reported failed, the new agent stays",
                        "v0.2.0", true, device -> device.server.offer(device.withSystemPackages(List.of("libopus0")),
                                device.clock.instant().minusSeconds(60)), DeviceFixture.CONTENT_GUARD,
                        concat(AGENT_PART, "extracting", "system-packages", "failed", "reporting", "done", "idle"),
                        List.of(RELOAD, AGENT_RESTART, APT_UPDATE, UpdateMachineTests.APT_KNOWN,
                                UpdateMachineTests.APT_INSTALL), List.of(DOWNLOADING, INSTALLING, INSTALLING,
                                INSTALLING, FAILED), "held broken packages", "v1.0.0", "v0.2.0", "committed"),
                new Scenario("agent-only, the package's agent is the running one: only carried forward", "v0.1.0",
                        false, device -> {
                        }, DeviceFixture.CONTENT_GUARD,
                        List.of("waiting", "downloading", "verifying", "carrying-forward", "reporting", "done",
                                "idle"),
                        List.of(), List.of(DOWNLOADING, INSTALLING, COMPLETED), null, "v1.1.0", "v0.1.0", null),
                new Scenario("the package's agent is the running one: the agent part is skipped", "v0.1.0", true,
                        device -> {
                        }, DeviceFixture.CONTENT_GUARD,
                        concat(concat(List.of("waiting", "downloading", "verifying"), APP_PART), "reporting", "done", "idle"),
                        List.of(VENV, PIP, APP_RESTART), List.of(DOWNLOADING, INSTALLING, COMPLETED), null, "v1.1.0",
                        "v0.1.0", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void runsTheScenario(Scenario scenario, @TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publishAgent("v1.1.0", scenario.agentInPackage(), scenario.withApp(), false);
            scenario.arrange().accept(device);

            device.runAgentToIdle(scenario.guard());

            assertThat(device.chain).as("state chain").containsExactlyElementsOf(scenario.chain());
            assertThat(device.commandLines().stream().filter(line -> !line.startsWith("systemctl is-active")))
                    .as("commands").containsExactlyElementsOf(scenario.commands());
            assertThat(device.server.reportedStatuses()).as("reports").containsExactlyElementsOf(scenario.reports());
            if (scenario.failureMentions() != null) {
                assertThat(device.server.reports().get(device.server.reports().size() - 1).errorMessage())
                        .contains(scenario.failureMentions());
            }
            assertThat(device.currentTarget()).isEqualTo("releases/" + scenario.appEndsOn());
            assertThat(device.versionFile()).isEqualTo(scenario.appEndsOn());
            assertThat(device.agentCurrent()).as("agent current").isEqualTo(scenario.agentEndsOn());
            assertThat(device.agentVersion).as("the agent running at the end").isEqualTo(scenario.agentEndsOn());
            assertThat(new AgentTrialFile(device.stateDir).read().map(AgentTrialFile.Trial::state).orElse(null))
                    .as("trial file").isEqualTo(scenario.trialEndsAs());
            if (scenario.agentEndsOn().equals("v0.1.0")) {
                assertThat(device.agentHome.release("v0.2.0")).doesNotExist();
            }
            assertThat(device.stateDir.resolve("staging")).satisfiesAnyOf(
                    staging -> assertThat(staging).doesNotExist(), staging -> assertThat(staging).isEmptyDirectory());
        }
    }

    /** At the restart of its unit the old agent has written the trial, then moved previous, current, the drop-in. */
    @Test
    void theOldAgentOpensTheTrialBeforeCurrentMovesAndRestartsIntoTheNewOne(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UUID update = device.publishAgent("v1.1.0", "v0.2.0", true, true).id();
            String[] trialAtRestart = {null};
            String[] linksAtRestart = {null};
            device.runner.beforeEach(command -> {
                if (command.display().equals(AGENT_RESTART)) {
                    try {
                        trialAtRestart[0] = Files.readString(device.stateDir.resolve("agent-trial"));
                        linksAtRestart[0] = device.agentHome.currentRelease().orElseThrow() + " "
                                + device.agentHome.previousRelease().orElseThrow() + " "
                                + Files.readString(device.agentHome.dropinLink()).strip();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });

            device.runAgentToIdle(DeviceFixture.CONTENT_GUARD);

            assertThat(trialAtRestart[0]).isEqualTo("""
                    format=1
                    state=trial
                    update_id=%s
                    from=v0.1.0
                    to=v0.2.0
                    boot_id=boot-1
                    since_uptime=1234
                    check_in_seconds=300
                    starts=0
                    max_starts=3
                    reason=
                    """.formatted(update));
            assertThat(linksAtRestart[0]).isEqualTo("v0.2.0 v0.1.0 [Service]\nEnvironment=AGENT_FLAVOUR=v0.2.0");
            assertThat(Files.readSymbolicLink(device.agentHome.dropinLink()))
                    .isEqualTo(device.agentHome.current().resolve("javia-ota-agent.conf").toAbsolutePath());
            assertThat(device.agentStarts).as("the old agent, then the new one").isEqualTo(2);
            assertThat(device.agentHome.release("v0.1.0")).as("previous, kept for the next trial").isDirectory();
        }
    }

    /** The layout before releases: the trial says from=legacy, and previous is not needed (revert removes current). */
    @Test
    void anAgentOfTheLegacyLayoutUpdatesItselfIntoReleases(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = legacyDevice(dir)) {
            device.publishAgent("v1.1.0", "v0.2.0", false, false);

            device.runAgentToIdle(DeviceFixture.CONTENT_GUARD);

            assertThat(device.agentHome.currentRelease()).contains("v0.2.0");
            assertThat(device.agentHome.previous()).doesNotExist();
            assertThat(device.agentHome.legacyJar()).as("the guard's way back").isRegularFile();
            AgentTrialFile.Trial trial = new AgentTrialFile(device.stateDir).read().orElseThrow();
            assertThat(trial.from()).isEqualTo("legacy");
            assertThat(trial.state()).isEqualTo("committed");
            assertThat(device.server.reportedStatuses()).last().isEqualTo(COMPLETED);
        }
    }

    @Test
    void aRevertToTheLegacyLayoutStartsTheLegacyJarWhichReportsWhy(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = legacyDevice(dir)) {
            device.publishAgent("v1.1.0", "v0.2.0", true, true);

            device.runAgentToIdle(new DeviceFixture.Guard() {
                @Override
                public void start(DeviceFixture d) {
                    new AgentTrialFile(d.stateDir).read().filter(AgentTrialFile.Trial::isTrial).ifPresent(t ->
                            d.guardReverts("the new agent v0.2.0 started 4 times without checking in with the server "
                                    + "(it exits or crashes at start); the guard put legacy back"));
                }
            });

            assertThat(device.agentHome.current()).doesNotExist();
            assertThat(device.agentVersion).isEqualTo("v0.1.0");
            assertThat(Files.isSymbolicLink(device.agentHome.dropinLink())).isFalse();
            assertThat(device.agentHome.release("v0.2.0")).doesNotExist();
            assertThat(device.server.reports().get(device.server.reports().size() - 1).errorMessage())
                    .startsWith("agent v0.2.0 was rolled back to legacy: the new agent v0.2.0 started 4 times");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
        }
    }

    /**
     * The old agent started again while the trial is open (by hand, or by a run-agent whose guard failed): it does not
     * wait for a guard that did not run; it puts itself back and reports.
     */
    @Test
    void theOldAgentFindingTheTrialStillOpenPutsItselfBack(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publishAgent("v1.1.0", "v0.2.0", true, false);
            // the new agent cannot reach the server, so it never commits
            device.server.statusUnavailableWhen(report -> device.agentVersion.equals("v0.2.0"));
            int[] ticks = {0};
            try {
                device.runAgentToIdle(new DeviceFixture.Guard() {
                    @Override
                    public boolean check(DeviceFixture d) {
                        if (d.agentVersion.equals("v0.2.0") && ++ticks[0] == 2) {
                            throw new DeviceFixture.PowerCut("the new agent is stopped by hand");
                        }
                        return false;
                    }
                });
            } catch (DeviceFixture.PowerCut cut) {
                // the new agent waits in agent-trial
            }
            assertThat(device.chain).last().isEqualTo("agent-trial");
            device.agentVersion = "v0.1.0";
            device.session = device.newSession();
            device.runner.clear();

            device.runToIdle(device.machine());

            assertThat(device.chain).endsWith("agent-trial", "agent-trial", "agent-rolling-back", "failed",
                    "reporting", "done", "idle");
            assertThat(device.commandLines()).containsExactly(RELOAD);
            assertThat(device.agentHome.currentRelease()).contains("v0.1.0");
            AgentTrialFile.Trial trial = new AgentTrialFile(device.stateDir).read().orElseThrow();
            assertThat(trial.state()).isEqualTo("reverted");
            assertThat(trial.reason()).contains("the guard did not run when the agent started");
            assertThat(device.server.reports().get(device.server.reports().size() - 1).errorMessage())
                    .startsWith("agent v0.2.0 was rolled back to v0.1.0: the guard did not run");
            assertThat(device.agentHome.release("v0.2.0")).doesNotExist();
        }
    }

    /** The new agent commits its open trial after an answer from the server even when no update step is left. */
    @Test
    void anOpenTrialOfTheRunningAgentIsCommittedEvenWithoutItsUpdatesStateFile(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UUID update = UUID.randomUUID();
            new AgentTrialFile(device.stateDir).write(AgentTrialFile.Trial.start(update, "v0.1.0", "v0.1.0-fix",
                    "boot-1", 10, java.time.Duration.ofSeconds(300)));
            UpdateMachine machine = device.machine();
            device.server.down(true);
            device.tick(machine);
            assertThat(new AgentTrialFile(device.stateDir).read().orElseThrow().state()).as("not the trial of the agent that runs")
                    .isEqualTo("trial");

            device.agentVersion = "v0.1.0-fix";
            UpdateMachine restarted = device.machine();
            device.tick(restarted);
            assertThat(new AgentTrialFile(device.stateDir).read().orElseThrow().state()).isEqualTo("trial");
            device.server.down(false);
            device.tick(restarted);

            assertThat(new AgentTrialFile(device.stateDir).read().orElseThrow().state()).isEqualTo("committed");
            assertThat(restarted.idle()).isTrue();
        }
    }

    /**
     * The guard has begun its revert (reverting=1, written before anything moves) when the new agent gets its first
     * answer: the new agent does not commit, and the old agent, once back, reports the guard's reason.
     */
    @Test
    void theNewAgentDoesNotCommitATrialTheGuardHasBegunToRevert(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publishAgent("v1.1.0", "v0.2.0", true, false);
            device.server.statusUnavailableWhen(report -> device.agentVersion.equals("v0.2.0"));
            String reason = "the new agent v0.2.0 did not check in with the server within 300 s; the guard put v0.1.0 "
                    + "back";
            AgentTrialFile file = new AgentTrialFile(device.stateDir);
            DeviceFixture.Guard guard = new DeviceFixture.Guard() {
                int ticks;

                @Override
                public boolean check(DeviceFixture d) {
                    if (!d.agentVersion.equals("v0.2.0")) {
                        return false;
                    }
                    ticks++;
                    if (ticks == 1) {
                        // step 1 of the guard's revert, then the server answers the new agent
                        AgentTrialFile.Trial trial = file.read().orElseThrow();
                        file.write(trial.with("reverting", "1").with("reason", reason));
                        d.server.statusUnavailableWhen(report -> false);
                        return false;
                    }
                    assertThat(file.read().orElseThrow().state()).as("not committed").isEqualTo("trial");
                    d.guardReverts(reason);
                    return true;
                }
            };

            device.runAgentToIdle(guard);

            assertThat(device.agentHome.currentRelease()).contains("v0.1.0");
            assertThat(file.read().orElseThrow().state()).isEqualTo("reverted");
            assertThat(file.read().orElseThrow().values()).doesNotContainKey("reverting");
            assertThat(device.server.reports().get(device.server.reports().size() - 1).errorMessage())
                    .isEqualTo("agent v0.2.0 was rolled back to v0.1.0: " + reason);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
        }
    }

    /** An agent with no release and no legacy jar to come back to (a hand-run jar elsewhere) does not switch. */
    @Test
    void anAgentWithNoWayBackDoesNotSwitch(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = legacyDevice(dir)) {
            Files.delete(device.agentHome.legacyJar());
            device.publishAgent("v1.1.0", "v0.2.0", true, false);
            device.agentVersion = "v0.1.0";

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactly("waiting", "downloading", "verifying", "agent-extracting",
                    "failed", "reporting", "done", "idle");
            assertThat(device.server.reports().get(device.server.reports().size() - 1).errorMessage())
                    .startsWith("agent-extracting: there is no agent to come back to: neither ")
                    .contains("install the agent's package");
            assertThat(device.agentHome.current()).doesNotExist();
            assertThat(device.agentHome.release("v0.2.0")).doesNotExist();
            assertThat(device.runner.commands()).isEmpty();
        }
    }

    /** With publisher keys pinned, the agent part is installed only from a package their signature covers. */
    @Test
    void aSignedAgentReleaseIsInstalledAndAnUnsignedOneIsNot(@TempDir Path dir) throws IOException {
        java.security.KeyPair publisher = dev.javia.ota.protocol.trust.Ed25519Keys.generate();
        try (DeviceFixture device = new DeviceFixture(dir.resolve("signed"))) {
            device.pinned = SignedPackageTests.keysOf(publisher);
            device.publishAgent("v1.1.0", "v0.2.0", true, false);
            Path zip = device.workDir.resolve("update_v1.1.0_agent_v0.2.0.zip");
            device.serve(zip, "v1.1.0", dev.javia.ota.protocol.pkg.PackageSignatures.sign(zip,
                    publisher.getPrivate(), dev.javia.ota.protocol.pkg.PackageLimits.defaults()), false, null);

            device.runAgentToIdle(DeviceFixture.CONTENT_GUARD);

            assertThat(device.agentHome.currentRelease()).contains("v0.2.0");
            assertThat(device.server.reportedStatuses()).last().isEqualTo(COMPLETED);
        }
        try (DeviceFixture device = new DeviceFixture(dir.resolve("unsigned"))) {
            device.pinned = SignedPackageTests.keysOf(publisher);
            device.publishAgent("v1.1.0", "v0.2.0", true, false);

            device.runAgentToIdle(DeviceFixture.CONTENT_GUARD);

            assertThat(device.chain).containsExactly("waiting", "downloading", "verifying", "failed", "reporting",
                    "done", "idle");
            assertThat(device.server.reports().get(device.server.reports().size() - 1).errorMessage())
                    .contains("package v1.1.0 is not signed");
            assertThat(device.agentHome.currentRelease()).contains("v0.1.0");
            assertThat(device.agentHome.release("v0.2.0")).doesNotExist();
            assertThat(device.runner.commands()).isEmpty();
        }
    }

    /**
     * The server offers the same update again after its failure (an operator's retry): the reverted trial of the
     * first attempt is not taken for the second's, which switches and commits.
     */
    @Test
    void aRetryOfTheSameUpdateIsNotFailedByTheFirstAttemptsRevertedTrial(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            dev.javia.ota.protocol.api.UpdateOffer offer = device.publishAgent("v1.1.0", "v0.2.0", true, false);
            device.runAgentToIdle(REVERTS_AT_START);
            assertThat(device.server.reportedStatuses()).last().isEqualTo(FAILED);
            assertThat(new AgentTrialFile(device.stateDir).read().orElseThrow().state()).isEqualTo("reverted");

            device.server.offer(offer, device.clock.instant().minusSeconds(60));
            device.runAgentToIdle(DeviceFixture.CONTENT_GUARD);

            assertThat(device.server.reportedStatuses()).last().isEqualTo(COMPLETED);
            AgentTrialFile.Trial trial = new AgentTrialFile(device.stateDir).read().orElseThrow();
            assertThat(trial.state()).isEqualTo("committed");
            assertThat(trial.updateId()).isEqualTo(offer.id().toString());
            assertThat(device.agentHome.currentRelease()).contains("v0.2.0");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }

    /**
     * A release whose drop-in replaces ExecStart (run-agent, and with it the guard) or whose jvm.options starts
     * another jar is refused by the agent itself, before anything moves, whoever built the package.
     */
    @ParameterizedTest
    @MethodSource("bypasses")
    void aReleaseThatWouldBypassTheGuardIsRefusedBeforeTheAgentMoves(String dropIn, String jvmOptions, String why,
            @TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publishAgent("v1.1.0", "v0.2.0", true, dropIn, jvmOptions);

            device.runAgentToIdle(DeviceFixture.CONTENT_GUARD);

            assertThat(device.server.reportedStatuses()).last().isEqualTo(FAILED);
            assertThat(device.server.reports()).last().satisfies(report -> assertThat(report.errorMessage())
                    .contains("the package's agent release v0.2.0 is refused: " + why));
            assertThat(device.agentHome.currentRelease()).contains("v0.1.0");
            assertThat(device.agentHome.release("v0.2.0")).doesNotExist();
            assertThat(device.runner.lines()).doesNotContain(AGENT_RESTART);
            assertThat(device.stateDir.resolve("agent-trial")).doesNotExist();
        }
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> bypasses() {
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("[Service]\nExecStart=/usr/bin/java -jar /tmp/x.jar\n",
                        null, "javia-ota-agent.conf line 2: ExecStart= would replace run-agent"),
                org.junit.jupiter.params.provider.Arguments.of(null, "-Xmx64m\n-jar /tmp/x.jar\n",
                        "jvm.options holds '-jar', which is not a JVM flag"));
    }

    /** A device whose agent runs from AGENT_HOME/pi-agent.jar (no releases yet), version 0.1.0 in its manifest. */
    private static DeviceFixture legacyDevice(Path dir) throws IOException {
        DeviceFixture device = new DeviceFixture(dir);
        Files.delete(device.agentHome.current());
        InstallRoot.deleteTree(device.agentHome.release("v0.1.0"));
        AgentHomeTests.jar(device.agentHome.legacyJar(), "0.1.0");
        return device;
    }

    static List<String> concat(List<String> head, String... tail) {
        return Stream.concat(head.stream(), Stream.of(tail)).toList();
    }

    static List<String> concat(List<String> head, List<String> tail) {
        return Stream.concat(head.stream(), tail.stream()).toList();
    }
}
