package dev.javia.ota.agent;

import dev.javia.ota.agent.config.AgentConfig;
import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.agent.system.SystemdNotifier;
import dev.javia.ota.agent.testing.FakeServer;
import dev.javia.ota.agent.testing.MutableClock;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.Version;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The settings of a Pi's realities reach the steps as Main wires them. */
class RealitiesWiringTests {

    private final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final RecordingCommandRunner runner = new RecordingCommandRunner();

    @Test
    void theConfiguredHealthCommandRollsBackAnActiveButUnwellRelease(@TempDir Path pi) throws IOException {
        preinstall(pi);
        runner.answer(List.of("./healthcheck"), CommandResult.exit(1, "wake-word engine failed to load model\n"));
        try (FakeServer server = new FakeServer();
             Agent agent = agent(pi, server, Map.of("APP_HEALTH_COMMAND", "./healthcheck --quick"))) {
            agent.tick();
            offer(pi, server);
            clock.advance(Duration.ofMinutes(5));
            agent.tick();

            assertThat(agent.machine().idle()).isTrue();
            assertThat(server.reportedStatuses()).last().isEqualTo(UpdateStatus.FAILED);
            assertThat(server.reports()).last().satisfies(report -> assertThat(report.errorMessage())
                    .startsWith("voice-assistant-client says: wake-word engine failed to load model"));
            assertThat(runner.commands()).filteredOn(command -> command.program().equals("./healthcheck"))
                    .isNotEmpty().allSatisfy(command -> assertThat(command.directory())
                            .isEqualTo(pi.resolve("opt/javia/releases/v1.1.0")));
        }
        assertThat(Files.readSymbolicLink(pi.resolve("opt/javia/current"))).isEqualTo(Path.of("releases/v1.0.0"));
    }

    @Test
    void theDownloadCapSleepsThroughTheLoopsSleeper(@TempDir Path pi) throws IOException {
        preinstall(pi);
        try (FakeServer server = new FakeServer();
             Agent agent = agent(pi, server, Map.of("DOWNLOAD_MAX_KBPS", "1", "HEALTH_CHECK_SECONDS", "0"))) {
            agent.tick();
            UpdateOffer offer = offer(pi, server);
            clock.advance(Duration.ofMinutes(5));
            long before = clock.nanoTime();
            agent.tick();

            assertThat(server.reportedStatuses()).last().isEqualTo(UpdateStatus.COMPLETED);
            // 1 KiB/s: the whole package, less the first slice, in sleeps of the (fake) clock
            assertThat(Duration.ofNanos(clock.nanoTime() - before))
                    .isGreaterThanOrEqualTo(Duration.ofSeconds((offer.sizeBytes() - 1024) / 1024));
        }
    }

    private UpdateOffer offer(Path pi, FakeServer server) throws IOException {
        Path zip = PackageBuilder.samplePackage(pi.resolve("work"), Version.parse("v1.1.0"), UpdateType.URGENT,
                List.of());
        return server.offer(zip, "v1.1.0", UpdateType.URGENT, clock.instant().minusSeconds(60), List.of());
    }

    private Agent agent(Path pi, FakeServer server, Map<String, String> more) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SERVER_URL", server.url());
        env.put("API_KEY", FakeServer.ENROLLMENT_KEY);
        env.put("DEVICE_TIMEZONE", "UTC");
        env.put("INSTALL_DIR", pi.resolve("opt/javia").toString());
        env.put("STATE_DIR", pi.resolve("state").toString());
        env.put("ALSA_STREAMS", "none");
        env.put("URGENT_IDLE_MINUTES", "0");
        env.put("HEALTH_CHECK_SECONDS", "4");
        env.put("OTA_PUSH", "false");
        env.putAll(more);
        return Main.assemble(AgentConfig.from(env, pi.resolve("home")), runner, new SystemdNotifier(runner, Map.of()),
                clock, clock::nanoTime, clock.sleeper(), () -> {
                    throw new IllegalStateException("no GPIO");
                }, Duration.ofMillis(5));
    }

    private static void preinstall(Path pi) throws IOException {
        Path root = pi.resolve("opt/javia");
        Files.createDirectories(root.resolve("releases/v1.0.0"));
        Files.writeString(root.resolve("releases/v1.0.0/client.py"), "print('old')\n");
        Files.createSymbolicLink(root.resolve("current"), Path.of("releases", "v1.0.0"));
        Files.writeString(root.resolve("VERSION"), "v1.0.0\n");
    }
}
