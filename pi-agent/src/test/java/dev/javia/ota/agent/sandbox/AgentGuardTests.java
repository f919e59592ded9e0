package dev.javia.ota.agent.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.javia.ota.agent.sandbox.DeviceSandbox.GuardRun;
import dev.javia.ota.agent.testing.FakeServer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The agent's self-update as a table, with deploy/agent/run-agent and javia-agent-guard as systemd runs them
 * ({@link AgentService}): v0.1.0 runs, the old agent switches to v0.2.0 ({@link DeviceSandbox#switchAgent}), and
 * v0.2.0 is good, does not start, starts and never checks in, or dies in a loop. The previous agent must come back
 * by itself, without the new agent's help, with the reason in the trial file; and a power cut at every step of the
 * guard's revert must leave a state the next start finishes.
 */
class AgentGuardTests {

    private static final String RESTART = "--no-block restart " + DeviceSandbox.AGENT_UNIT;
    private static final Duration PAST_THE_BOUND = Duration.ofSeconds(301);

    @TempDir
    Path dir;

    DeviceSandbox sandbox;
    TestAgentJars jars;

    @BeforeEach
    void device() throws IOException {
        sandbox = DeviceSandbox.create(dir.resolve("pi"));
        jars = new TestAgentJars(dir.resolve("jars"));
        sandbox.installRelease("v0.1.0", jars.good("v0.1.0"));
        sandbox.makeCurrent("v0.1.0");
    }

    @Test
    void aGoodReleaseCommitsItsTrialAndStays() throws Exception {
        sandbox.installRelease("v0.2.0", jars.good("v0.2.0"));
        try (AgentService service = AgentService.start(sandbox)) {
            service.awaitRunning("v0.1.0");
            sandbox.switchAgent("v0.1.0", "v0.2.0");
            service.awaitRunning("v0.2.0");
            awaitState("committed");

            sandbox.proc().advance(Duration.ofHours(1));
            GuardRun check = sandbox.guard("check");

            assertThat(check.exitCode()).isZero();
            assertThat(check.output()).isEmpty();
            assertThat(service.releases()).containsExactly("v0.1.0", "v0.2.0");
            assertThat(sandbox.currentRelease()).contains("v0.2.0");
            assertThat(sandbox.trial().orElseThrow().get("starts")).isEqualTo("1");
            assertThat(service.recordedSystemctl()).containsExactly("daemon-reload", RESTART);
        }
    }

    @Test
    void aReleaseThatDoesNotStartIsRevertedAtTheStartAfterMaxStarts() throws Exception {
        sandbox.installRelease("v0.2.0", jars.exitsAtOnce("v0.2.0"));

        List<String> releases = switchAndAwaitTheWayBack();

        // max_starts=3: the 4th start of v0.2.0 is refused by the guard, which puts v0.1.0 back for that start
        assertThat(releases).containsExactly("v0.1.0", "v0.2.0", "v0.2.0", "v0.2.0", "v0.1.0");
        assertReverted("the new agent v0.2.0 started 4 times without checking in with the server (it exits or "
                + "crashes at start); the guard put v0.1.0 back");
        assertThat(journal).contains("test agent v0.2.0: cannot start, exit 1")
                .contains("javia-agent-guard: start 3 of the new agent v0.2.0 on trial (at most 3;");
        assertThat(sandbox.trial().orElseThrow().get("starts")).isEqualTo("4");
    }

    @Test
    void aReleaseWhoseJvmFlagsTheJvmRefusesIsReverted() throws Exception {
        sandbox.installRelease("v0.2.0", jars.good("v0.2.0"), TestAgentJars.refusedJvmOptions(), null);

        List<String> releases = switchAndAwaitTheWayBack();

        assertThat(journal).contains("Unrecognized VM option 'ThisFlagDoesNotExistInAnyJava'")
                .doesNotContain("test agent v0.2.0");
        assertThat(releases).containsExactly("v0.1.0", "v0.2.0", "v0.2.0", "v0.2.0", "v0.1.0");
        assertReverted("the new agent v0.2.0 started 4 times without checking in");
    }

    @Test
    void aReleaseThatCrashesInALoopIsReverted() throws Exception {
        sandbox.installRelease("v0.2.0", jars.crashesAfterASecond("v0.2.0"));

        List<String> releases = switchAndAwaitTheWayBack();

        assertThat(journal).contains("test agent v0.2.0: crashed, exit 3");
        assertThat(releases).containsExactly("v0.1.0", "v0.2.0", "v0.2.0", "v0.2.0", "v0.1.0");
        assertReverted("the new agent v0.2.0 started 4 times without checking in");
    }

    @Test
    void aReleaseThatNeverChecksInIsRevertedByTheTimerAfterTheBound() throws Exception {
        sandbox.installRelease("v0.2.0", jars.neverChecksIn("v0.2.0"));
        try (AgentService service = AgentService.start(sandbox)) {
            service.awaitRunning("v0.1.0");
            sandbox.switchAgent("v0.1.0", "v0.2.0");
            service.awaitRunning("v0.2.0");

            sandbox.proc().advance(Duration.ofSeconds(299));
            GuardRun early = sandbox.guard("check");
            assertThat(early.exitCode()).isZero();
            assertThat(sandbox.trial().orElseThrow().state()).isEqualTo("trial");
            List<String> before = service.recordedSystemctl();

            sandbox.proc().advance(Duration.ofSeconds(2));
            GuardRun late = sandbox.guard("check");

            assertThat(late.exitCode()).as(late.output()).isZero();
            assertThat(late.output()).contains("javia-agent-guard: reverted the agent v0.2.0 to v0.1.0");
            assertThat(service.recordedSystemctl().subList(before.size(), service.recordedSystemctl().size()))
                    .containsExactly("daemon-reload", RESTART);
            service.awaitRunning("v0.1.0");
            assertThat(service.releases()).containsExactly("v0.1.0", "v0.2.0", "v0.1.0");
            assertReverted("the new agent v0.2.0 did not check in with the server within 300 s; the guard put "
                    + "v0.1.0 back");
        }
    }

    @Test
    void aRebootDuringTheTrialRestartsTheBoundAndStartsKeepCounting() throws Exception {
        sandbox.installRelease("v0.2.0", jars.neverChecksIn("v0.2.0"));
        try (AgentService service = AgentService.start(sandbox)) {
            service.awaitRunning("v0.1.0");
            sandbox.switchAgent("v0.1.0", "v0.2.0");
            service.awaitRunning("v0.2.0");
            sandbox.proc().advance(Duration.ofSeconds(250));

            service.stop();
            sandbox.proc().reboot();
            service.start();
            service.awaitRunning("v0.2.0");

            TrialFile afterReboot = sandbox.trial().orElseThrow();
            assertThat(afterReboot.get("boot_id")).isEqualTo(sandbox.proc().bootId());
            assertThat(afterReboot.get("since_uptime")).isEqualTo(String.valueOf(sandbox.proc().uptimeSeconds()));
            assertThat(afterReboot.get("starts")).isEqualTo("2");
            sandbox.proc().advance(Duration.ofSeconds(250));   // 500 s since the switch, 250 s in this boot
            assertThat(sandbox.guard("check").exitCode()).isZero();
            assertThat(sandbox.trial().orElseThrow().state()).isEqualTo("trial");

            sandbox.proc().advance(Duration.ofSeconds(51));
            assertThat(sandbox.guard("check").exitCode()).isZero();

            service.awaitRunning("v0.1.0");
            assertReverted("did not check in with the server within 300 s");
            assertThat(sandbox.trial().orElseThrow().get("starts")).isEqualTo("2");
        }
    }

    @Test
    void theLegacyLayoutComesBackByRemovingCurrent() throws Exception {
        Files.delete(sandbox.agentHome().resolve("current"));
        sandbox.installLegacy(jars.good("v0.1.0"));
        sandbox.installRelease("v0.2.0", jars.exitsAtOnce("v0.2.0"));
        try (AgentService service = AgentService.start(sandbox)) {
            service.awaitRunning("legacy");
            sandbox.switchAgent("legacy", "v0.2.0");
            service.awaitRunning("legacy");

            assertThat(service.releases()).containsExactly("legacy", "v0.2.0", "v0.2.0", "v0.2.0", "legacy");
            assertThat(sandbox.agentHome().resolve("current")).doesNotExist();
            assertThat(Files.isSymbolicLink(sandbox.agentHome().resolve("current"))).isFalse();
            assertReverted("the guard put legacy back");
        }
    }

    @Test
    void theRestoredReleaseGetsItsUnitDropinBack() throws Exception {
        sandbox.installRelease("v0.1.0", jars.good("v0.1.0"), null, "[Service]\nEnvironment=OLD=1\n");
        sandbox.makeCurrent("v0.1.0");
        sandbox.installRelease("v0.2.0", jars.exitsAtOnce("v0.2.0"));
        Path link = sandbox.dropinDir().resolve(DeviceSandbox.DROPIN_NAME);
        assertThat(link).exists();

        switchAndAwaitTheWayBack();

        assertThat(Files.readSymbolicLink(link))
                .isEqualTo(sandbox.agentHome().resolve("current").resolve(DeviceSandbox.RELEASE_DROPIN));
        assertThat(link).hasContent("[Service]\nEnvironment=OLD=1");
    }

    @Test
    void aDropinOfTheFailedReleaseIsRemoved() throws Exception {
        sandbox.installRelease("v0.2.0", jars.exitsAtOnce("v0.2.0"), null, "[Service]\nEnvironment=NEW=1\n");

        switchAndAwaitTheWayBack();

        assertThat(Files.exists(sandbox.dropinDir().resolve(DeviceSandbox.DROPIN_NAME), java.nio.file.LinkOption
                .NOFOLLOW_LINKS)).isFalse();
    }

    @Test
    void unknownKeysOfTheTrialFileAreKeptWhereTheyWere() throws Exception {
        sandbox.installRelease("v0.2.0", jars.neverChecksIn("v0.2.0"));
        try (AgentService service = AgentService.start(sandbox)) {
            service.awaitRunning("v0.1.0");
            sandbox.switchAgent("v0.1.0", "v0.2.0", "channel=beta", "note=a=b; with spaces");
            service.awaitRunning("v0.2.0");
            assertThat(sandbox.trial().orElseThrow().lines()).endsWith("channel=beta", "note=a=b; with spaces");

            sandbox.proc().advance(PAST_THE_BOUND);
            sandbox.guard("check");
            service.awaitRunning("v0.1.0");

            TrialFile reverted = sandbox.trial().orElseThrow();
            assertThat(reverted.state()).isEqualTo("reverted");
            assertThat(reverted.lines()).endsWith("channel=beta", "note=a=b; with spaces");
            assertThat(reverted.lines()).filteredOn(line -> line.startsWith("reason=")).hasSize(1);
            assertThat(reverted.lines().get(0)).isEqualTo("format=1");
        }
    }

    static Stream<Arguments> unreadableTrialFiles() {
        return Stream.of(
                Arguments.of("newer format", ("format=2\nstate=trial\nfrom=v0.1.0\nto=v0.2.0\nboot_id=x\n"
                        + "since_uptime=0\ncheck_in_seconds=1\nstarts=99\nmax_starts=0\n").getBytes(
                        StandardCharsets.UTF_8), "is of format 2, newer than this guard reads (1): left alone"),
                Arguments.of("garbage", new byte[] {0, 1, 2, (byte) 0xff, 'x', '=', '\n', 's', 't'},
                        "has no readable format= line"),
                Arguments.of("a trial without its numbers", ("format=1\nstate=trial\nfrom=v0.1.0\nto=v0.2.0\n"
                        + "check_in_seconds=soon\nmax_starts=3\n").getBytes(StandardCharsets.UTF_8),
                        "is a trial without a readable"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadableTrialFiles")
    void aTrialFileTheGuardCannotReadIsLeftAloneAndTheAgentStarts(String name, byte[] content, String logged)
            throws Exception {
        sandbox.installRelease("v0.2.0", jars.neverChecksIn("v0.2.0"));
        sandbox.makeCurrent("v0.2.0");
        Files.write(sandbox.trialPath(), content);

        try (AgentService service = AgentService.start(sandbox)) {
            AgentService.Start start = service.awaitRunning("v0.2.0");

            assertThat(start.output()).contains("javia-agent-guard: " + sandbox.trialPath() + " " + logged);
            assertThat(start.output()).doesNotContain("guard start failed");
            sandbox.proc().advance(Duration.ofHours(2));
            GuardRun check = sandbox.guard("check");
            assertThat(check.exitCode()).isZero();
            assertThat(check.output()).contains(logged);
            assertThat(sandbox.trialPath()).hasBinaryContent(content);
            assertThat(sandbox.currentRelease()).contains("v0.2.0");
            assertThat(service.recordedSystemctl()).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"check", "start"})
    void withoutATrialTheGuardWritesNothing(String command) throws Exception {
        List<String> before = listing(sandbox.root());

        GuardRun run = sandbox.guard(command);

        assertThat(run.exitCode()).isZero();
        assertThat(run.output()).isEmpty();
        assertThat(listing(sandbox.root())).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"committed", "reverted"})
    void anEndedTrialIsNotTouchedAgain(String state) throws Exception {
        TrialFile.started("v0.1.0", "v0.2.0", sandbox.proc()).with("state", state).with("starts", "9")
                .writeTo(sandbox.trialPath());
        byte[] content = Files.readAllBytes(sandbox.trialPath());
        sandbox.proc().advance(Duration.ofDays(3));
        List<String> before = listing(sandbox.root());

        assertThat(sandbox.guard("check").exitCode()).isZero();
        assertThat(sandbox.guard("start").exitCode()).isZero();

        assertThat(sandbox.trialPath()).hasBinaryContent(content);
        assertThat(listing(sandbox.root())).isEqualTo(before);
    }

    @Test
    void aTrialWhoseSwitchNeverHappenedIsNotCountedAgainstTheRunningAgent() throws Exception {
        sandbox.installRelease("v0.2.0", jars.neverChecksIn("v0.2.0"));
        TrialFile.started("v0.1.0", "v0.2.0", sandbox.proc()).writeTo(sandbox.trialPath());   // current: v0.1.0
        byte[] content = Files.readAllBytes(sandbox.trialPath());

        GuardRun start = sandbox.guard("start");
        sandbox.proc().advance(PAST_THE_BOUND);
        GuardRun check = sandbox.guard("check");

        assertThat(start.exitCode()).isZero();
        assertThat(start.output()).contains("the switch did not happen");
        assertThat(check.exitCode()).isZero();
        assertThat(sandbox.trialPath()).hasBinaryContent(content);
        assertThat(sandbox.currentRelease()).contains("v0.1.0");
        assertThat(sandbox.systemctlCalls()).isEmpty();
    }

    /** The new agent reaches the server in the very moment the bound passes: its commit wins, nothing restarts. */
    @Test
    void aCommitJustBeforeTheRevertWins() throws Exception {
        sandbox.installRelease("v0.2.0", jars.neverChecksIn("v0.2.0"));
        sandbox.switchAgent("v0.1.0", "v0.2.0");
        sandbox.guard("start");
        sandbox.proc().advance(PAST_THE_BOUND);
        List<String> before = sandbox.systemctlCalls();

        GuardRun check = sandbox.guard(Map.of("JAVIA_GUARD_BEFORE_REVERT",
                "sed -i 's/^state=trial$/state=committed/' '" + sandbox.trialPath() + "'"), "check");

        assertThat(check.exitCode()).isZero();
        assertThat(check.output()).contains("ended its trial just now").doesNotContain("reverted the agent");
        assertThat(sandbox.trial().orElseThrow().state()).isEqualTo("committed");
        assertThat(sandbox.trial().orElseThrow().get("reason")).isEmpty();
        assertThat(sandbox.currentRelease()).contains("v0.2.0");
        assertThat(sandbox.systemctlCalls()).isEqualTo(before);
    }

    @Test
    void aRevertWithNowhereToGoBackToChangesNothing() throws Exception {
        sandbox.installRelease("v0.2.0", jars.neverChecksIn("v0.2.0"));
        sandbox.switchAgent("v0.1.0", "v0.2.0");
        sandbox.guard("start");
        Files.delete(sandbox.agentHome().resolve("previous"));
        Files.delete(sandbox.agentHome().resolve("releases/v0.1.0/VERSION"));
        Files.delete(sandbox.agentHome().resolve("releases/v0.1.0/pi-agent.jar"));
        Files.delete(sandbox.agentHome().resolve("releases/v0.1.0"));
        byte[] content = Files.readAllBytes(sandbox.trialPath());
        sandbox.proc().advance(PAST_THE_BOUND);

        GuardRun check = sandbox.guard("check");

        assertThat(check.exitCode()).isEqualTo(1);
        assertThat(check.output()).contains("cannot put v0.1.0 back: neither");
        assertThat(sandbox.trialPath()).hasBinaryContent(content);
        assertThat(sandbox.currentRelease()).contains("v0.2.0");
    }

    @Test
    void aGuardThatFailsOrIsMissingDoesNotStopTheAgentsStart() throws Exception {
        sandbox.installRelease("v0.2.0", jars.neverChecksIn("v0.2.0"));
        sandbox.switchAgent("v0.1.0", "v0.2.0");
        sandbox.trial().orElseThrow().with("starts", "3").writeTo(sandbox.trialPath());
        Files.delete(sandbox.agentHome().resolve("previous"));
        Files.delete(sandbox.agentHome().resolve("releases/v0.1.0/VERSION"));
        Files.delete(sandbox.agentHome().resolve("releases/v0.1.0/pi-agent.jar"));
        Files.delete(sandbox.agentHome().resolve("releases/v0.1.0"));

        try (AgentService service = AgentService.start(sandbox)) {
            AgentService.Start failedGuard = service.awaitRunning("v0.2.0");
            assertThat(failedGuard.output()).contains("cannot put v0.1.0 back")
                    .contains("run-agent: javia-agent-guard start failed (exit 1, above); starting the agent anyway");

            Files.delete(sandbox.agentLib().resolve("javia-agent-guard"));
            sandbox.systemctl("--no-block", "restart", DeviceSandbox.AGENT_UNIT);
            service.awaitStarts(2);
            AgentService.Start noGuard = service.awaitRunning("v0.2.0");
            assertThat(noGuard.output()).contains("javia-agent-guard is missing: no guard for a self-update");
        }
    }

    /** The revert's steps: 1 reverting=1 recorded, 2 current, 3 drop-in, 4 daemon-reload, 5 state=reverted. */
    static final int REVERT_STEPS = 5;

    static Stream<Arguments> powerCuts() {
        List<Arguments> cuts = new ArrayList<>();
        for (String command : List.of("check", "start")) {
            for (int step = 1; step <= REVERT_STEPS; step++) {
                cuts.add(Arguments.of(command, step));
            }
        }
        return cuts.stream();
    }

    @ParameterizedTest(name = "{0}, cut after step {1}")
    @MethodSource("powerCuts")
    void aPowerCutDuringTheRevertLeavesAStateTheNextStartFinishes(String command, int step) throws Exception {
        sandbox.installRelease("v0.1.0", jars.good("v0.1.0"), null, "[Service]\nEnvironment=OLD=1\n");
        sandbox.makeCurrent("v0.1.0");
        sandbox.installRelease("v0.2.0", jars.neverChecksIn("v0.2.0"));
        sandbox.switchAgent("v0.1.0", "v0.2.0", "channel=beta");
        String reason;
        if (command.equals("check")) {
            sandbox.guard("start");
            sandbox.proc().advance(PAST_THE_BOUND);
            reason = "the new agent v0.2.0 did not check in with the server within 300 s; the guard put v0.1.0 back";
        } else {
            sandbox.trial().orElseThrow().with("starts", "3").writeTo(sandbox.trialPath());
            reason = "the new agent v0.2.0 started 4 times without checking in with the server (it exits or crashes "
                    + "at start); the guard put v0.1.0 back";
        }

        GuardRun cut = sandbox.guard(Map.of("JAVIA_GUARD_STOP_AFTER_STEP", String.valueOf(step)), command);

        assertThat(cut.output()).contains("stopped after step " + step + " of the revert");
        TrialFile afterCut = sandbox.trial().orElseThrow();
        assertThat(afterCut.get("format")).isEqualTo("1");
        assertThat(afterCut.get("reason")).isEqualTo(reason);
        assertThat(afterCut.state()).isEqualTo(step < REVERT_STEPS ? "trial" : "reverted");
        assertThat(afterCut.get("reverting")).isEqualTo(step < REVERT_STEPS ? "1" : null);
        assertThat(sandbox.currentRelease()).contains(step == 1 ? "v0.2.0" : "v0.1.0");
        assertThat(dir.resolve("pi/var/lib/javia-agent")).isDirectoryNotContaining("glob:**.tmp.*");

        sandbox.proc().reboot();
        try (AgentService service = AgentService.start(sandbox)) {
            AgentService.Start back = service.awaitRunning("v0.1.0");

            TrialFile reverted = sandbox.trial().orElseThrow();
            assertThat(reverted.state()).as(back.output()).isEqualTo("reverted");
            assertThat(reverted.get("reason")).isEqualTo(reason);
            assertThat(reverted.get("reverting")).isNull();
            assertThat(reverted.get("starts")).isEqualTo(command.equals("check") ? "1" : "4");
            assertThat(reverted.lines()).contains("channel=beta");
            Path link = sandbox.dropinDir().resolve(DeviceSandbox.DROPIN_NAME);
            assertThat(link).hasContent("[Service]\nEnvironment=OLD=1");
            assertThat(service.releases()).containsExactly("v0.1.0");
        }
    }

    @Test
    void thePowerCutSweepCoversTheWholeRevert() throws Exception {
        sandbox.installRelease("v0.2.0", jars.neverChecksIn("v0.2.0"));
        sandbox.switchAgent("v0.1.0", "v0.2.0");
        sandbox.guard("start");
        sandbox.proc().advance(PAST_THE_BOUND);

        GuardRun whole = sandbox.guard(Map.of("JAVIA_GUARD_STOP_AFTER_STEP", String.valueOf(REVERT_STEPS + 1)),
                "check");

        assertThat(whole.exitCode()).isZero();
        assertThat(whole.output()).doesNotContain("stopped after step")
                .contains("reverted the agent v0.2.0 to v0.1.0");
        assertThat(sandbox.trial().orElseThrow().state()).isEqualTo("reverted");
    }

    /**
     * The harness runs the agent as built, too: after the self-update's merge a test installs it as releases and
     * lets the real agent switch, commit and be reverted here. Today: it starts through run-agent with the default
     * jvm.options, registers, says READY=1, and a {@code systemctl restart} brings it back.
     */
    @Test
    void theRealAgentRunsInTheSandboxAsSystemdRunsIt() throws Exception {
        sandbox.installRelease("v0.1.0", jars.realAgent("pi-agent"));
        try (FakeServer server = new FakeServer();
             AgentService service = new AgentService(sandbox, Map.of("SERVER_URL", server.url(),
                     "API_KEY", FakeServer.ENROLLMENT_KEY, "DEVICE_TIMEZONE", "UTC",
                     "INSTALL_DIR", sandbox.root().resolve("opt/javia").toString(), "ALSA_STREAMS", "none",
                     "GPIO_BUTTON_PIN", "", "TICK_SECONDS", "1", "APT_VIA_SYSTEMD_RUN", "false"),
                     AgentService.DEFAULT_RESTART_SEC, 5)) {
            service.start();
            service.awaitRunning("v0.1.0");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> server.registrations() > 0);

            sandbox.systemctl("--no-block", "restart", DeviceSandbox.AGENT_UNIT);
            service.awaitStarts(2);
            service.awaitRunning("v0.1.0");

            assertThat(service.starts().get(0).exitCode()).as(service.journal()).isEqualTo(143);
            assertThat(service.journal()).contains("flags from " + sandbox.agentLib().resolve("jvm.options"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"run-agent", "javia-agent-guard"})
    void theScriptsExplainThemselves(String script) throws Exception {
        Process process = new ProcessBuilder(sandbox.agentLib().resolve(script).toString(), "--help")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).isZero();
        assertThat(output).startsWith("Usage: " + script);
    }

    @ParameterizedTest
    @ValueSource(strings = {"run-agent", "javia-agent-guard"})
    void theScriptsArePosixShell(String script) throws Exception {
        Path file = DeviceSandbox.repositoryRoot().resolve("deploy/agent").resolve(script);
        assertThat(Files.readAllLines(file).get(0)).isEqualTo("#!/bin/sh");
        assertThat(run("sh", "-n", file.toString())).isEqualTo("exit 0: ");
        boolean hasShellcheck = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(bin -> Files.isExecutable(Path.of(bin, "shellcheck")));
        assumeTrue(hasShellcheck, "shellcheck is not installed (apt-get install shellcheck); sh -n passed");
        assertThat(run("shellcheck", "--shell=sh", file.toString())).isEqualTo("exit 0: ");
    }

    // ----------------------------------------------------------------------------------------------- helpers

    /** Switches v0.1.0 to v0.2.0 under a running unit and waits for v0.1.0 to be back; returns the starts. */
    private List<String> switchAndAwaitTheWayBack() throws IOException {
        try (AgentService service = AgentService.start(sandbox)) {
            service.awaitRunning("v0.1.0");
            sandbox.switchAgent("v0.1.0", "v0.2.0");
            service.awaitStarts(2);
            service.awaitRunning("v0.1.0");
            assertThat(sandbox.currentRelease()).contains("v0.1.0");
            assertThat(service.recordedSystemctl()).containsExactly("daemon-reload", RESTART, "daemon-reload");
            journal = service.journal();
            return service.releases();
        }
    }

    /** What the last {@link #switchAndAwaitTheWayBack} saw every start write. */
    private String journal;

    private void assertReverted(String reason) throws IOException {
        TrialFile trial = sandbox.trial().orElseThrow();
        assertThat(trial.state()).isEqualTo("reverted");
        assertThat(trial.get("reason")).contains(reason);
        assertThat(trial.get("reverting")).isNull();
    }

    private void awaitState(String state) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> sandbox.trial().map(TrialFile::state).orElse(""), state::equals);
    }

    /** Every file and directory under ROOT with its modification time, but the guard's own output file. */
    private static List<String> listing(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(file -> !file.equals(root) && !file.getFileName().toString().equals("guard-run.out"))
                    .map(file -> root.relativize(file) + " " + file.toFile().lastModified()).sorted().toList();
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return "timeout: " + output;
        }
        return "exit " + process.exitValue() + ": " + output;
    }
}
