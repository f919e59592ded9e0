package dev.javia.ota.agent;

import dev.javia.ota.agent.config.AgentConfig;
import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.agent.system.Sleeper;
import dev.javia.ota.agent.system.SystemdNotifier;
import dev.javia.ota.server.testing.TestServer;
import dev.javia.ota.server.update.DeviceWaits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Push, end to end: the real server and the real agent loop, on real time, polling every ten minutes, so that only
 * the pushed wake can explain an install that starts within two seconds of the publish.
 */
class PushEndToEndTests {

    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start(Map.of("ota.heartbeat-interval", "10m", "ota.check-interval", "10m"));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aPublishedUrgentUpdateStartsOnAnOnlineAgentWithinTwoSeconds(@TempDir Path pi) throws Exception {
        EndToEndPi.preinstall(pi, "v1.0.0");
        RecordingCommandRunner runner = new RecordingCommandRunner();
        CountDownLatch installStarted = new CountDownLatch(1);
        runner.beforeEach(command -> {
            if (command.argv().contains("apt-get")) {
                installStarted.countDown();
            }
        });
        Agent agent = agent(pi, runner, Map.of("TICK_SECONDS", "600", "CHECK_INTERVAL_SECONDS", "600",
                "HEARTBEAT_INTERVAL_SECONDS", "600"));
        Thread loop = new Thread(() -> {
            try {
                agent.run(Duration.ofSeconds(600));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "test-agent-loop");
        loop.start();
        try {
            // its first tick registers and checks; from then on it holds the wait
            DeviceWaits waits = server.bean(DeviceWaits.class);
            await("the agent's wait held").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                    .until(() -> waits.held() == 1);
            String uuid = agent.session().deviceUuid();

            EndToEndPi.publish(server, pi, uuid, "v1.1.0", "libopus0");

            assertThat(installStarted.await(2_500, TimeUnit.MILLISECONDS))
                    .as("apt-get of the update within 2 s of the publish (no poll is due for ten minutes)").isTrue();
            await("the update completed").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> "completed".equals(EndToEndPi.updateColumn(server, uuid, "v1.1.0", "status")));
            assertThat(EndToEndPi.deviceColumn(server, uuid, "current_version")).isEqualTo("v1.1.0");
            await("the agent waiting again, once idle").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(20)).until(() -> waits.held() == 1);
        } finally {
            agent.close();
            loop.join(5_000);
        }
    }

    /** The agent as Main wires it, on the real clocks. */
    private static Agent agent(Path pi, RecordingCommandRunner runner, Map<String, String> more) {
        Map<String, String> env = new LinkedHashMap<>(more);
        // on real time: a health check of one real second
        env.put("HEALTH_CHECK_SECONDS", "1");
        env = EndToEndPi.environment(server, pi, env);
        AgentConfig config = AgentConfig.from(env, pi.resolve("home/pi"));
        return Main.assemble(config, runner, new SystemdNotifier(runner, Map.of("NOTIFY_SOCKET", "/run/test")),
                Clock.systemUTC(), System::nanoTime, Sleeper.REAL, () -> {
                    throw new IllegalStateException("no GPIO here");
                });
    }
}
