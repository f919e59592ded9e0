package dev.javia.ota.agent;

import dev.javia.ota.agent.config.AgentConfig;
import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.agent.system.SystemdNotifier;
import dev.javia.ota.agent.testing.MutableClock;
import dev.javia.ota.packager.CreateUpdate;
import dev.javia.ota.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The "done when" for the agent, through the real server and packager: an agent-only update published with
 * create_update reaches the device's agent v0.1.0, which installs v0.2.0 beside itself, switches and restarts its
 * unit; the agent that then starts (v0.2.0, as run-agent starts current) commits its trial after the server answers
 * it, and the server shows the update completed and the device's agent version next to its app's. No login.
 */
class SelfUpdateEndToEndTests {

    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void anAgentOnlyUpdatePublishedWithTheRealPackagerIsInstalledWithoutALogin(@TempDir Path pi) throws IOException {
        MutableClock clock = new MutableClock(Instant.now());
        RecordingCommandRunner runner = new RecordingCommandRunner();
        EndToEndPi.preinstall(pi, "v1.0.0");
        Path agentHome = pi.resolve("opt/javia-agent");
        Files.createDirectories(agentHome.resolve("releases/v0.1.0"));
        Files.writeString(agentHome.resolve("releases/v0.1.0/pi-agent.jar"), "the agent as the .deb installed it");
        Files.writeString(agentHome.resolve("releases/v0.1.0/VERSION"), "v0.1.0\n");
        Files.createSymbolicLink(agentHome.resolve("current"), Path.of("releases/v0.1.0"));
        Files.createDirectories(pi.resolve("proc/sys/kernel/random"));
        Files.writeString(pi.resolve("proc/sys/kernel/random/boot_id"), "b00t\n");
        Files.writeString(pi.resolve("proc/uptime"), "600.00 1200.00\n");
        Path trial = pi.resolve("var/lib/javia-agent/agent-trial");
        String uuid;

        try (Agent old = agent(pi, runner, clock, "v0.1.0")) {
            old.tick();
            uuid = old.session().deviceUuid();
            assertThat(EndToEndPi.deviceColumn(server, uuid, "agent_version")).isEqualTo("v0.1.0");

            publishAgentOnly(pi, uuid, "v1.0.1", "v0.2.0");
            clock.advance(Duration.ofMinutes(5));
            old.tick();

            assertThat(runner.lines()).contains("systemctl daemon-reload",
                    "systemctl --no-block restart javia-ota-agent.service");
            assertThat(old.machine().current().name()).as("waits to be stopped").isEqualTo("agent-switching");
            assertThat(Files.readSymbolicLink(agentHome.resolve("current"))).isEqualTo(Path.of("releases/v0.2.0"));
            assertThat(Files.readSymbolicLink(agentHome.resolve("previous"))).isEqualTo(Path.of("releases/v0.1.0"));
            assertThat(Files.readString(trial)).contains("state=trial", "from=v0.1.0", "to=v0.2.0",
                    "boot_id=b00t", "since_uptime=600");
            assertThat(EndToEndPi.updateColumn(server, uuid, "v1.0.1", "status")).isEqualTo("installing");
        }

        // systemd restarts the unit; run-agent starts the jar current names
        assertThat(agentHome.resolve("current/pi-agent.jar")).isRegularFile();
        try (Agent fresh = agent(pi, runner, clock, "v0.2.0")) {
            fresh.tick();

            assertThat(fresh.machine().idle()).isTrue();
        }
        assertThat(Files.readString(trial)).contains("state=committed");
        assertThat(EndToEndPi.updateColumn(server, uuid, "v1.0.1", "status")).isEqualTo("completed");
        assertThat(EndToEndPi.deviceColumn(server, uuid, "agent_version")).isEqualTo("v0.2.0");
        assertThat(EndToEndPi.deviceColumn(server, uuid, "current_version")).isEqualTo("v1.0.1");
        assertThat(Files.readSymbolicLink(pi.resolve("opt/javia/current")).toString()).isEqualTo("releases/v1.0.1");
        assertThat(Files.readString(pi.resolve("opt/javia/releases/v1.0.1/client.py"))).isEqualTo("print('old')\n");
        assertThat(runner.lines()).doesNotContain("systemctl --no-block restart voice-assistant-client");
    }

    private static Agent agent(Path pi, RecordingCommandRunner runner, MutableClock clock, String agentVersion) {
        Map<String, String> more = new LinkedHashMap<>();
        more.put("AGENT_HOME", pi.resolve("opt/javia-agent").toString());
        more.put("AGENT_UNIT_DROPIN_DIR", pi.resolve("etc/systemd/system/javia-ota-agent.service.d").toString());
        more.put("JAVIA_PROC", pi.resolve("proc").toString());
        AgentConfig config = AgentConfig.from(EndToEndPi.environment(server, pi, more), pi.resolve("home/pi"));
        return Main.assemble(config, runner, new SystemdNotifier(runner, Map.of("NOTIFY_SOCKET", "/run/test")),
                clock, clock::nanoTime, clock.sleeper(), () -> {
                    throw new IllegalStateException("no GPIO here");
                }, config.tick(), agentVersion);
    }

    /** create_update --agent-only, to this device alone, with a jar the packager accepts as an agent's. */
    private static void publishAgentOnly(Path pi, String uuid, String version, String agentVersion)
            throws IOException {
        Path jar = pi.resolve("build/pi-agent.jar");
        Files.createDirectories(jar.getParent());
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "dev.javia.ota.agent.Main");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream ignored = new JarOutputStream(out,
                manifest)) {
            ignored.flush();
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> args = List.of("--agent-only", "--agent-jar", jar.toString(), "--agent-version", agentVersion,
                version, "agent fix " + agentVersion, "urgent", "--target-devices", uuid);
        int exit = CreateUpdate.run(Map.of("OTA_SERVER_URL", server.baseUrl(), "OTA_ADMIN_API_KEY", server.adminKey()),
                pi, new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        assertThat(exit).as(out + "\n" + err).isZero();
    }
}
