package dev.javia.ota.agent;

import dev.javia.ota.agent.config.AgentConfig;
import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.agent.system.SystemdNotifier;
import dev.javia.ota.agent.testing.MutableClock;
import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The whole system in one JVM: the real server (real PostgreSQL, real HTTP), updates published by the real packager
 * (create_update) and the agent as {@link Main} wires it, with a recording command runner in place of apt-get, pip
 * and systemctl, and a temporary directory as the Pi's disk.
 */
class EndToEndTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    /** Published versions are the fleet's and only go up: each test starts from a server with none. */
    @BeforeEach
    void noUpdatesPublished() {
        server.jdbcTemplate().execute(
                "truncate rollout_changes, rollout_tallies, rollout_devices, rollouts, device_updates, update_deltas, updates");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    /** Stands for a reboot in the middle of the install: nothing after it runs. */
    static final class PowerCut extends Error {
        PowerCut() {
            super("power cut");
        }
    }

    @Test
    void publishedUpdateIsInstalledAndTheServerShowsCompleted(@TempDir Path pi) throws IOException {
        MutableClock clock = new MutableClock(Instant.now());
        RecordingCommandRunner runner = new RecordingCommandRunner();
        preinstall(pi, "v1.0.0");

        try (Agent agent = agent(pi, runner, clock)) {
            agent.tick();
            String uuid = agent.session().deviceUuid();
            assertThat(deviceColumn(uuid, "current_version")).isEqualTo("v1.0.0");

            publish(pi, uuid, "v1.1.0", "libopus0");
            clock.advance(Duration.ofMinutes(5));
            agent.tick();

            assertThat(agent.machine().idle()).isTrue();
            assertThat(updateStatus(uuid, "v1.1.0")).isEqualTo("completed");
            assertThat(deviceColumn(uuid, "current_version")).isEqualTo("v1.1.0");
        }
        assertThat(Files.readSymbolicLink(pi.resolve("opt/javia/current")).toString()).isEqualTo("releases/v1.1.0");
        assertThat(Files.readString(pi.resolve("opt/javia/VERSION")).strip()).isEqualTo("v1.1.0");
        assertThat(pi.resolve("opt/javia/releases/v1.1.0/client.py")).isRegularFile();
        assertThat(runner.lines()).contains(
                "apt-get -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends -o "
                        + "Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -- libopus0",
                "systemctl --no-block restart voice-assistant-client",
                "systemd-notify WATCHDOG=1");
    }

    @Test
    void anInstallCutByAPowerLossEndsWhenTheAgentStartsAgain(@TempDir Path pi) throws IOException {
        MutableClock clock = new MutableClock(Instant.now());
        RecordingCommandRunner runner = new RecordingCommandRunner();
        preinstall(pi, "v1.0.0");
        String uuid;
        try (Agent agent = agent(pi, runner, clock)) {
            agent.tick();
            uuid = agent.session().deviceUuid();
            publish(pi, uuid, "v2.0.0", "");
            runner.beforeEach(command -> {
                if (command.argv().contains("venv")) {
                    throw new PowerCut();
                }
            });
            clock.advance(Duration.ofMinutes(5));
            assertThatThrownBy(agent::tick).isInstanceOf(PowerCut.class);
        }
        assertThat(updateStatus(uuid, "v2.0.0")).isEqualTo("installing");
        assertThat(Files.readSymbolicLink(pi.resolve("opt/javia/current")).toString()).isEqualTo("releases/v1.0.0");

        runner.beforeEach(command -> {
        });
        try (Agent restarted = agent(pi, runner, clock)) {
            restarted.tick();
            assertThat(restarted.machine().idle()).isTrue();
        }
        assertThat(updateStatus(uuid, "v2.0.0")).isEqualTo("completed");
        assertThat(deviceColumn(uuid, "current_version")).isEqualTo("v2.0.0");
        assertThat(Files.readSymbolicLink(pi.resolve("opt/javia/current")).toString()).isEqualTo("releases/v2.0.0");
    }

    /**
     * The operator's rollback through the real API: the device on the bad release is offered the earlier one as a
     * rollback, and the real agent installs that lower version (into the release directory it kept from before)
     * and reports it; the bad release's rollout ends cancelled and names its rollback.
     */
    @Test
    void anOperatorsRollbackIsInstalledByTheAgentAsALowerVersion(@TempDir Path pi) throws IOException {
        MutableClock clock = new MutableClock(Instant.now());
        RecordingCommandRunner runner = new RecordingCommandRunner();
        preinstall(pi, "v1.0.0");
        try (Agent agent = agent(pi, runner, clock)) {
            agent.tick();
            String uuid = agent.session().deviceUuid();
            publish(pi, uuid, "v1.1.0", "");
            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            publish(pi, uuid, "v1.2.0", "");
            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            assertThat(deviceColumn(uuid, "current_version")).isEqualTo("v1.2.0");

            JsonNode rollouts = JSON.readTree(server.api().get(ApiPaths.ROLLOUTS + "?version=v1.2.0",
                    server.adminKey()).body());
            String bad = rollouts.get("rollouts").get(0).get("id").asText();
            var answer = server.api().post(ApiPaths.rolloutAction(bad, "rollback"), server.adminKey(),
                    Map.of("reason", "the wake word stopped working"));
            assertThat(answer.status()).as(answer.toString()).isEqualTo(201);
            assertThat(JSON.readTree(answer.body()).get("version").asText()).isEqualTo("v1.1.0");

            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            assertThat(agent.machine().idle()).isTrue();
            assertThat(deviceColumn(uuid, "current_version")).isEqualTo("v1.1.0");
            assertThat(updateStatus(uuid, "v1.1.0")).isEqualTo("completed");
            JsonNode after = JSON.readTree(server.api().get(ApiPaths.rollout(bad), server.adminKey()).body());
            assertThat(after.get("state").asText()).isEqualTo("cancelled");
            assertThat(after.get("rolled_back_by").asText()).isEqualTo(JSON.readTree(answer.body()).get("id")
                    .asText());
        }
        assertThat(Files.readSymbolicLink(pi.resolve("opt/javia/current")).toString()).isEqualTo("releases/v1.1.0");
        assertThat(Files.readString(pi.resolve("opt/javia/VERSION")).strip()).isEqualTo("v1.1.0");
        assertThat(Files.readString(pi.resolve("opt/javia/releases/v1.1.0/client.py"))).contains("javia v1.1.0");
    }

    /**
     * The record an operator reads while the device installs: the agent's heartbeats during apt-get reach the real
     * server and its GET /api/v1/devices/{uuid} shows the step; the device's own DEVICE_UPDATE_HOUR is the window
     * in force once the agent's first heartbeat is answered.
     */
    @Test
    void theDevicesRecordShowsItsStepWhileItInstallsAndItsOwnWindow(@TempDir Path pi) throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        RecordingCommandRunner runner = new RecordingCommandRunner();
        preinstall(pi, "v1.0.0");
        List<JsonNode> seenDuringApt = new ArrayList<>();

        try (Agent agent = agent(pi, runner, clock, Map.of("DEVICE_UPDATE_HOUR", "4"), Duration.ofMillis(20))) {
            agent.tick();
            String uuid = agent.session().deviceUuid();
            assertThat(record(uuid).get("update_window").toString())
                    .isEqualTo("{\"start_hour\":4,\"length_minutes\":180,\"source\":\"device\"}");
            publish(pi, uuid, "v1.5.0", "libopus0");
            runner.beforeEach(command -> {
                if (command.argv().contains("apt-get") && command.argv().contains("install")) {
                    // a heartbeat interval passes during apt-get: the step's heartbeat thread sends one
                    clock.advance(Duration.ofMinutes(5));
                    seenDuringApt.add(awaitStep(uuid, "system-packages"));
                }
            });
            clock.advance(Duration.ofMinutes(5));
            agent.tick();

            assertThat(agent.machine().idle()).isTrue();
            assertThat(seenDuringApt).singleElement().satisfies(seen -> {
                assertThat(seen.get("status").asText()).isEqualTo("updating");
                assertThat(seen.get("current_update").get("version").asText()).isEqualTo("v1.5.0");
                assertThat(seen.get("current_update").get("status").asText()).isEqualTo("installing");
            });
            JsonNode after = record(uuid);
            assertThat(after.get("current_update").get("status").asText()).isEqualTo("completed");
            assertThat(after.get("current_update").get("step").isNull()).isTrue();
        }
    }

    /** The device's record once it names {@code step}, or a failure after five seconds of real time. */
    private static JsonNode awaitStep(String uuid, String step) {
        return await("the device's record showing step " + step).atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> record(uuid), seen -> {
                    JsonNode current = seen.get("current_update");
                    return current != null && !current.isNull() && step.equals(current.get("step").asText(null));
                });
    }

    /** GET /api/v1/devices/{uuid} with the admin key, as an operator reads it. */
    private static JsonNode record(String uuid) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(server.baseUrl() + ApiPaths.device(uuid)))
                    .header(ApiPaths.API_KEY_HEADER, server.adminKey()).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Agent agent(Path pi, RecordingCommandRunner runner, MutableClock clock) {
        return agent(pi, runner, clock, Map.of(), null);
    }

    private static Agent agent(Path pi, RecordingCommandRunner runner, MutableClock clock, Map<String, String> more,
            Duration pulse) {
        return EndToEndPi.agent(server, pi, runner, clock, more, pulse);
    }

    private static void preinstall(Path pi, String version) throws IOException {
        EndToEndPi.preinstall(pi, version);
    }

    private static void publish(Path pi, String deviceUuid, String version, String systemPackages)
            throws IOException {
        EndToEndPi.publish(server, pi, deviceUuid, version, systemPackages);
    }

    private static String updateStatus(String deviceUuid, String version) {
        return EndToEndPi.updateColumn(server, deviceUuid, version, "status");
    }

    private static String deviceColumn(String deviceUuid, String column) {
        return EndToEndPi.deviceColumn(server, deviceUuid, column);
    }
}
