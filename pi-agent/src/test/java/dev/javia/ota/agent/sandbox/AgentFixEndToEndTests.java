package dev.javia.ota.agent.sandbox;

import dev.javia.ota.packager.CreateUpdate;
import dev.javia.ota.server.testing.TestServer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The "done when", through the whole system: a real server, the real packager ({@code create_update} with
 * {@code --agent-jar}) and the agent as built, run on a sandboxed Pi by {@code run-agent} and the guard as systemd
 * runs it ({@link AgentService}). No step logs in to the device: everything it gets, it gets by an update.
 *
 * <p>The device runs agent v0.1.0 with a deliberate bug in its release: JVM flags that cap the heap at 40 MiB (too
 * little for the verification of a large package). The fix, v0.2.0 with the right flags, is published as an
 * agent-only update; the device installs it, the new agent checks in and commits, and the server shows the device on
 * agent v0.2.0 with the update completed. A release that cannot start is put back by the guard by itself, and the
 * server shows why.
 */
class AgentFixEndToEndTests {

    private static final String APP = "v1.0.0";
    private static final Duration BOUND = Duration.ofSeconds(150);

    private static TestServer server;

    @TempDir
    Path dir;
    private DeviceSandbox sandbox;
    private Path agentJar;

    @BeforeAll
    static void startServer() {
        // ten-second intervals (the shortest an agent follows), and the push wakes the device at a publication
        server = TestServer.start(Map.of("ota.heartbeat-interval", "10s", "ota.check-interval", "10s"));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void aPiRunningAgentV010WithTheBug() throws IOException {
        server.jdbcTemplate().execute(
                "truncate rollout_changes, rollout_tallies, rollout_devices, rollouts, device_updates, update_deltas, updates");
        sandbox = DeviceSandbox.create(dir.resolve("pi"));
        agentJar = new TestAgentJars(dir.resolve("jars")).realAgent("pi-agent");
        sandbox.installRelease("v0.1.0", agentJar, jvmOptions("-Xmx40m"), null);
        sandbox.makeCurrent("v0.1.0");
        Path releases = Files.createDirectories(sandbox.root().resolve("opt/javia/releases").resolve(APP));
        Files.writeString(releases.resolve("client.py"), "print('hello')\n");
        Files.writeString(releases.resolve("VERSION"), APP + "\n");
        Files.createSymbolicLink(sandbox.root().resolve("opt/javia/current"), Path.of("releases", APP));
    }

    @Test
    void anAgentWithABugIsFixedByPublishingAnUpdateWithNoLogin() throws Exception {
        try (AgentService service = service()) {
            service.awaitRunning("v0.1.0");
            String uuid = registered();
            awaitColumn("device", () -> deviceColumn(uuid, "agent_version"), "v0.1.0", service);

            Path fixed = Files.writeString(dir.resolve("fixed.options"), jvmOptions("-Xmx64m"));
            publish(uuid, "v1.0.1", "Agent v0.2.0: the heap it needs", "--agent-jvm-options", fixed.toString());

            service.awaitRunning("v0.2.0", BOUND);
            awaitColumn("update", () -> updateColumn(uuid, "v1.0.1", "status"), "completed", service);
            awaitColumn("device", () -> deviceColumn(uuid, "agent_version"), "v0.2.0", service);
            assertThat(deviceColumn(uuid, "current_version")).isEqualTo("v1.0.1");
            assertThat(sandbox.trial().orElseThrow().state()).isEqualTo("committed");
            // the new release's own flags are the ones the running agent was started with
            assertThat(service.journal()).contains("starting agent release v0.2.0")
                    .contains("flags from " + sandbox.agentHome().resolve("current/jvm.options"));
            assertThat(Files.readString(sandbox.agentHome().resolve("releases/v0.2.0/jvm.options")))
                    .contains("-Xmx64m");
            // the app was carried forward unchanged, under the update's version
            assertThat(Files.readString(sandbox.root().resolve("opt/javia/current/client.py")))
                    .isEqualTo("print('hello')\n");
        }
    }

    @Test
    void anAgentReleaseThatCannotStartPutsTheOldOneBackByItselfAndTheServerIsTold() throws Exception {
        try (AgentService service = service()) {
            service.awaitRunning("v0.1.0");
            String uuid = registered();
            awaitColumn("device", () -> deviceColumn(uuid, "package_format"), "2", service);

            Path refused = Files.writeString(dir.resolve("refused.options"), TestAgentJars.refusedJvmOptions());
            publish(uuid, "v1.0.1", "Agent v0.2.0 with flags no JVM takes", "--agent-jvm-options",
                    refused.toString());

            awaitColumn("update", () -> updateColumn(uuid, "v1.0.1", "status"), "failed", service);
            assertThat(updateColumn(uuid, "v1.0.1", "error_message"))
                    .contains("agent v0.2.0 was rolled back to v0.1.0")
                    .contains("started 4 times without checking in with the server");
            assertThat(sandbox.currentRelease()).contains("v0.1.0");
            assertThat(deviceColumn(uuid, "agent_version")).isEqualTo("v0.1.0");
            assertThat(deviceColumn(uuid, "current_version")).isEqualTo(APP);
            assertThat(service.releases()).startsWith("v0.1.0", "v0.2.0").endsWith("v0.1.0");
        }
    }

    private AgentService service() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SERVER_URL", server.baseUrl());
        env.put("API_KEY", server.enrollmentKey());
        env.put("DEVICE_TIMEZONE", "UTC");
        env.put("INSTALL_DIR", sandbox.root().resolve("opt/javia").toString());
        env.put("DEVICE_UUID_FILE", sandbox.root().resolve("root/.javia_device_uuid").toString());
        env.put("ALSA_STREAMS", "none");
        env.put("GPIO_BUTTON_PIN", "");
        env.put("TICK_SECONDS", "1");
        env.put("URGENT_IDLE_MINUTES", "0");
        env.put("HEALTH_CHECK_SECONDS", "0");
        env.put("APT_VIA_SYSTEMD_RUN", "false");
        AgentService service = new AgentService(sandbox, env, AgentService.DEFAULT_RESTART_SEC, 12);
        service.start();
        return service;
    }

    private String registered() throws IOException {
        Path file = sandbox.root().resolve("root/.javia_device_uuid");
        await().atMost(BOUND).until(() -> Files.exists(file) && !Files.readString(file).isBlank());
        String uuid = Files.readString(file).strip();
        await().atMost(BOUND).until(() -> server.jdbcTemplate().queryForObject(
                "select count(*) from devices where device_uuid = ?", Long.class, uuid) == 1);
        return uuid;
    }

    /** Publishes an agent-only update with the real packager, to this device alone. */
    private void publish(String uuid, String version, String notes, String... options) {
        List<String> args = new ArrayList<>(List.of("--agent-only", "--agent-jar", agentJar.toString(),
                "--agent-version", "v0.2.0", "--target-devices", uuid));
        args.addAll(List.of(options));
        args.addAll(List.of(version, notes, "urgent"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = CreateUpdate.run(Map.of("OTA_SERVER_URL", server.baseUrl(), "OTA_ADMIN_API_KEY",
                server.adminKey()), dir, new PrintWriter(out, true), new PrintWriter(err, true),
                args.toArray(String[]::new));
        assertThat(exit).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("published " + version);
    }

    private static String jvmOptions(String heap) {
        return "# the agent's flags for this release\n-XX:+UseSerialGC\n" + heap + "\n-Xss256k\n";
    }

    private void awaitColumn(String what, Callable<String> read, String expected, AgentService service) {
        try {
            await().atMost(BOUND).pollInterval(Duration.ofMillis(250)).until(() -> expected.equals(read.call()));
        } catch (ConditionTimeoutException e) {
            String now;
            try {
                now = read.call();
            } catch (Exception failure) {
                now = failure.toString();
            }
            throw new AssertionError("the " + what + " never showed " + expected + " (now " + now + ")\n"
                    + service.journal(), e);
        }
    }

    private static String deviceColumn(String uuid, String column) {
        return server.jdbcTemplate().queryForList("select " + column + "::text from devices where device_uuid = ?",
                String.class, uuid).stream().findFirst().orElse(null);
    }

    private static String updateColumn(String uuid, String version, String column) {
        Optional<String> value = server.jdbcTemplate().queryForList("""
                select du.%s::text from device_updates du join devices d on d.id = du.device_id
                join updates u on u.id = du.update_id where d.device_uuid = ? and u.version = ?""".formatted(column),
                String.class, uuid, version).stream().findFirst();
        return value.orElse(null);
    }
}
