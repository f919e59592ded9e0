package dev.javia.ota.agent;

import dev.javia.ota.agent.config.AgentConfig;
import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.agent.system.SystemdNotifier;
import dev.javia.ota.agent.system.Watchdog;
import dev.javia.ota.agent.testing.FakeServer;
import dev.javia.ota.agent.testing.MutableClock;
import dev.javia.ota.protocol.api.DeviceStatus;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The systemd watchdog is fed only while the loop is really alive: by the thread that ticks, or a command or a wait
 * it is in. A hung loop stops the WATCHDOG=1 pings, whatever the other threads (the heartbeats of a long step, the
 * long poll) still do, so that systemd restarts the agent.
 */
class WatchdogTests {

    private static final String PING = "systemd-notify WATCHDOG=1";
    private final RecordingCommandRunner runner = new RecordingCommandRunner();
    private final SystemdNotifier notifier = new SystemdNotifier(runner, Map.of("NOTIFY_SOCKET", "/run/test"));

    @Test
    void onlyTheThreadThatTicksFeedsIt() throws InterruptedException {
        Watchdog watchdog = new Watchdog(notifier);
        watchdog.feed();
        assertThat(runner.lines()).as("before the loop's first tick nobody feeds it").isEmpty();

        watchdog.feedFromLoop();
        Thread other = new Thread(watchdog::feed, "agent-step-heartbeat");
        other.start();
        other.join();

        assertThat(runner.lines()).containsExactly(PING);
    }

    @Test
    void aLongWaitOfTheLoopIsSlicedAndFedBetweenTheSlices() throws InterruptedException {
        MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
        Watchdog watchdog = new Watchdog(notifier, clock::nanoTime);
        watchdog.feedFromLoop();
        runner.clear();
        List<Duration> slept = new ArrayList<>();

        watchdog.feeding(duration -> {
            slept.add(duration);
            clock.advance(duration);
        }, Duration.ofSeconds(30)).sleep(Duration.ofSeconds(100));

        assertThat(slept).containsExactly(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(10));
        assertThat(runner.lines()).as("fed after each slice").containsExactly(PING, PING, PING, PING);
    }

    @Test
    void aLoopThatSaysItIsAliveOftenPingsAtMostEveryFiveSeconds() {
        MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
        Watchdog watchdog = new Watchdog(notifier, clock::nanoTime);
        watchdog.feedFromLoop();
        for (int i = 0; i < 100; i++) {
            // a capped download says it is alive ten times a second
            clock.advance(Duration.ofMillis(100));
            watchdog.feed();
        }

        assertThat(runner.lines()).containsExactly(PING, PING, PING);
    }

    @Test
    void aStuckLoopStopsThePingsWhileTheStepsHeartbeatsGoOn(@TempDir Path pi) throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
        preinstall(pi);
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        runner.answer(List.of("apt-get", "-o", "DPkg::Lock::Timeout=120", "install"), command -> {
            stuck.countDown();
            try {
                // the loop hangs here (a wait that never returns), as a deadlock would hold it
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return CommandResult.ok("");
        });
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server, clock)) {
            Path zip = PackageBuilder.samplePackage(pi.resolve("work"), Version.parse("v1.1.0"), UpdateType.URGENT,
                    List.of("libopus0"));
            server.offer(zip, "v1.1.0", UpdateType.URGENT, clock.instant().minusSeconds(60), List.of("libopus0"));
            Thread loop = new Thread(() -> {
                try {
                    agent.run(Duration.ofMillis(20));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "test-agent-loop");
            loop.start();
            try {
                assertThat(stuck.await(20, TimeUnit.SECONDS)).as("the loop reached apt-get").isTrue();
                long pingsWhenStuck = pings();
                int beats = server.heartbeats().size();
                for (int i = 0; i < 3; i++) {
                    // the heartbeat falls due again: the step's own thread sends it while the loop hangs
                    int before = server.heartbeats().size();
                    clock.advance(Duration.ofMinutes(5));
                    await().atMost(Duration.ofSeconds(10)).until(() -> server.heartbeats().size() > before);
                }
                assertThat(server.heartbeats().subList(beats, server.heartbeats().size()))
                        .allSatisfy(beat -> assertThat(beat.status()).isEqualTo(DeviceStatus.UPDATING));
                assertThat(pings()).as("no WATCHDOG=1 while the loop hangs").isEqualTo(pingsWhenStuck);

                release.countDown();
                await().atMost(Duration.ofSeconds(10)).until(() -> pings() > pingsWhenStuck);
            } finally {
                release.countDown();
                agent.close();
                loop.join(5_000);
            }
        }
    }

    private long pings() {
        return runner.lines().stream().filter(PING::equals).count();
    }

    private Agent agent(Path pi, FakeServer server, MutableClock clock) {
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
        return Main.assemble(AgentConfig.from(env, pi.resolve("home")), runner, notifier, clock, clock::nanoTime,
                clock.sleeper(), () -> {
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
