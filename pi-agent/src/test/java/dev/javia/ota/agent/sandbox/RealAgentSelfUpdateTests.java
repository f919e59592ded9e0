package dev.javia.ota.agent.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.javia.ota.agent.testing.FakeServer;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.Version;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "done when" for the agent, with the agent as built: a device runs agent v0.1.0 from a release under
 * run-agent and the guard ({@link AgentService}); the server offers an agent-only package carrying v0.2.0 (the same
 * build, so the difference is only what the test breaks). A good v0.2.0 commits its trial and the update completes;
 * one whose JVM flags the JVM refuses, or one that cannot reach the server, is put back by the guard, and v0.1.0
 * reports the update failed with the guard's reason.
 */
class RealAgentSelfUpdateTests {

    private static final String APP = "v1.0.0";
    private static final String PACKAGE = "v1.0.1";

    @TempDir
    Path dir;

    DeviceSandbox sandbox;
    FakeServer server;
    Path agentJar;

    @BeforeEach
    void device() throws IOException {
        assumeTrue(selfUpdatingAgent(), "this agent does not update itself yet (no AgentVersion)");
        sandbox = DeviceSandbox.create(dir.resolve("pi"));
        agentJar = new TestAgentJars(dir.resolve("jars")).realAgent("pi-agent");
        sandbox.installRelease("v0.1.0", agentJar);
        sandbox.makeCurrent("v0.1.0");
        Path app = sandbox.root().resolve("opt/javia");
        Files.createDirectories(app.resolve("releases").resolve(APP));
        Files.writeString(app.resolve("releases").resolve(APP).resolve("client.py"), "print('hello')\n");
        Files.writeString(app.resolve("releases").resolve(APP).resolve("VERSION"), APP + "\n");
        Files.createSymbolicLink(app.resolve("current"), Path.of("releases", APP));
        Files.writeString(app.resolve("VERSION"), APP + "\n");
        server = new FakeServer();
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aGoodAgentReleaseCommitsItsTrialAndTheUpdateCompletes() throws Exception {
        offerAgent(null);
        try (AgentService service = service()) {
            service.awaitRunning("v0.1.0");
            service.awaitRunning("v0.2.0", Duration.ofSeconds(120));
            awaitReport(UpdateStatus.COMPLETED, service);

            assertThat(sandbox.trial().orElseThrow().state()).as(service.journal()).isEqualTo("committed");
            assertThat(sandbox.currentRelease()).contains("v0.2.0");
            assertThat(service.releases()).containsExactly("v0.1.0", "v0.2.0");
        }
    }

    @Test
    void anAgentReleaseThatCannotStartIsPutBackAndReportedFailed() throws Exception {
        Path options = Files.writeString(dir.resolve("jvm.options"), TestAgentJars.refusedJvmOptions());
        offerAgent(options);
        try (AgentService service = service()) {
            service.awaitRunning("v0.1.0");
            service.awaitStarts(2);
            service.awaitRunning("v0.1.0", Duration.ofSeconds(120));
            StatusReport failed = awaitReport(UpdateStatus.FAILED, service);

            assertThat(service.releases()).containsExactly("v0.1.0", "v0.2.0", "v0.2.0", "v0.2.0", "v0.1.0");
            assertThat(failed.errorMessage()).contains("agent v0.2.0 was rolled back to v0.1.0: the new agent v0.2.0 "
                    + "started 4 times without checking in with the server");
            assertThat(sandbox.currentRelease()).contains("v0.1.0");
        }
    }

    @Test
    void anAgentReleaseThatNeverReachesTheServerIsPutBackByTheTimer() throws Exception {
        offerAgent(null);
        try (AgentService service = service()) {
            service.awaitRunning("v0.1.0");
            await().atMost(Duration.ofSeconds(120)).until(() -> sandbox.trial().isPresent());
            server.down(true);
            service.awaitRunning("v0.2.0", Duration.ofSeconds(120));
            assertThat(sandbox.trial().orElseThrow().state()).isEqualTo("trial");

            sandbox.proc().advance(Duration.ofSeconds(301));
            DeviceSandbox.GuardRun check = sandbox.guard("check");
            assertThat(check.output()).contains("reverted the agent v0.2.0 to v0.1.0");
            service.awaitRunning("v0.1.0", Duration.ofSeconds(120));
            server.down(false);
            StatusReport failed = awaitReport(UpdateStatus.FAILED, service);

            assertThat(failed.errorMessage()).contains("agent v0.2.0 was rolled back to v0.1.0: the new agent v0.2.0 "
                    + "did not check in with the server within 300 s");
        }
    }

    private AgentService service() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SERVER_URL", server.url());
        env.put("API_KEY", FakeServer.ENROLLMENT_KEY);
        env.put("DEVICE_TIMEZONE", "UTC");
        env.put("INSTALL_DIR", sandbox.root().resolve("opt/javia").toString());
        env.put("ALSA_STREAMS", "none");
        env.put("GPIO_BUTTON_PIN", "");
        env.put("TICK_SECONDS", "1");
        env.put("HEARTBEAT_INTERVAL_SECONDS", "5");
        env.put("CHECK_INTERVAL_SECONDS", "5");
        env.put("URGENT_IDLE_MINUTES", "0");
        env.put("SCHEDULED_IDLE_MINUTES", "0");
        env.put("APT_VIA_SYSTEMD_RUN", "false");
        AgentService service = new AgentService(sandbox, env, AgentService.DEFAULT_RESTART_SEC, 12);
        service.start();
        return service;
    }

    private void offerAgent(Path jvmOptions) throws IOException {
        Path zip = dir.resolve("update_" + PACKAGE + "_agent_v0.2.0.zip");
        PackageBuilder.buildFile(null, Version.parse(PACKAGE), UpdateType.URGENT, "agent v0.2.0", List.of(),
                Instant.parse("2025-01-01T00:00:00Z"), null,
                new PackageBuilder.AgentSource(Version.parse("v0.2.0"), agentJar, jvmOptions, null), zip);
        server.offer(zip, PACKAGE, UpdateType.URGENT, Instant.now().minusSeconds(60), List.of());
    }

    private StatusReport awaitReport(UpdateStatus status, AgentService service) {
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> server.reports().stream()
                    .anyMatch(report -> report.status() == status));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no " + status + " report; reports " + server.reportedStatuses() + "\n"
                    + service.journal(), e);
        }
        return server.reports().stream().filter(report -> report.status() == status).findFirst().orElseThrow();
    }

    private static boolean selfUpdatingAgent() {
        try {
            Class.forName("dev.javia.ota.agent.update.AgentVersion");
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
