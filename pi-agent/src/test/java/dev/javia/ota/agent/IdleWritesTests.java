package dev.javia.ota.agent;

import dev.javia.ota.agent.config.AgentConfig;
import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.agent.system.SystemdNotifier;
import dev.javia.ota.agent.testing.FakeServer;
import dev.javia.ota.agent.testing.MutableClock;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An SD card wears out with writes: an idle agent writes nothing beyond what a check-in changes. Over many ticks
 * with every heartbeat and check answered (and with an update waiting for its night), the files of STATE_DIR and
 * the identity files stay byte for byte the same, with the same modification times, and no file is added.
 */
class IdleWritesTests {

    private final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final RecordingCommandRunner runner = new RecordingCommandRunner();

    @Test
    void anIdleAgentLeavesItsStateFilesUntouchedTickAfterTick(@TempDir Path pi) throws IOException {
        preinstall(pi);
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            agent.tick(); // registers: the token is written once
            Map<Path, String> before = snapshot(pi);

            int heartbeats = server.heartbeats().size();
            for (int i = 0; i < 200; i++) {
                clock.advance(Duration.ofSeconds(15));
                agent.tick();
            }

            assertThat(server.heartbeats().size() - heartbeats).as("ten check-ins, each answered").isEqualTo(10);
            assertThat(snapshot(pi)).isEqualTo(before);
        }
    }

    @Test
    void anUpdateWaitingForItsNightWritesItsStateOnceNotAtEachTick(@TempDir Path pi) throws IOException {
        preinstall(pi);
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            agent.tick();
            server.offer(new UpdateOffer(UUID.randomUUID(), "v1.1.0", UpdateType.SCHEDULED, "", "/nowhere",
                    "0".repeat(64), 1, false, List.of(), false), Instant.parse("2025-06-02T02:00:00Z"));
            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            assertThat(agent.machine().idle()).as("waiting for 02:00").isFalse();
            Map<Path, String> before = snapshot(pi);

            for (int i = 0; i < 200; i++) {
                clock.advance(Duration.ofSeconds(15));
                agent.tick();
            }

            assertThat(snapshot(pi)).isEqualTo(before);
        }
    }

    /** Each regular file under the device's state and home: its bytes and its modification time, to the nanosecond. */
    private static Map<Path, String> snapshot(Path pi) throws IOException {
        Map<Path, String> files = new TreeMap<>();
        for (Path dir : List.of(pi.resolve("state"), pi.resolve("home"))) {
            if (!Files.exists(dir)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.forEach(path -> {
                    try {
                        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class,
                                java.nio.file.LinkOption.NOFOLLOW_LINKS);
                        String content = attributes.isRegularFile()
                                ? Arrays.hashCode(Files.readAllBytes(path)) + "/" + attributes.size() : "-";
                        files.put(pi.relativize(path), content + " " + attributes.lastModifiedTime().toInstant());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
        return files;
    }

    private Agent agent(Path pi, FakeServer server) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SERVER_URL", server.url());
        env.put("API_KEY", FakeServer.ENROLLMENT_KEY);
        env.put("DEVICE_TIMEZONE", "UTC");
        env.put("INSTALL_DIR", pi.resolve("opt/javia").toString());
        env.put("STATE_DIR", pi.resolve("state").toString());
        env.put("ALSA_STREAMS", "none");
        env.put("OTA_PUSH", "false");
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
