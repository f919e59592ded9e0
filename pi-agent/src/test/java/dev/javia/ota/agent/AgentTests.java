package dev.javia.ota.agent;

import dev.javia.ota.agent.config.AgentConfig;
import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.agent.system.SystemdNotifier;
import dev.javia.ota.agent.testing.FakeServer;
import dev.javia.ota.agent.testing.LoggedWarnings;
import dev.javia.ota.agent.testing.MutableClock;
import dev.javia.ota.protocol.api.AgentSettings;
import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.Version;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.logging.LogRecord;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The loop: registration once, heartbeats (which answer the check too) at the server's interval, heartbeats through
 * a long install step, backoff while the server is away.
 */
class AgentTests {

    private final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final RecordingCommandRunner runner = new RecordingCommandRunner();

    @Test
    void registersOnceThenHeartbeatsEveryIntervalAndTakesTheCheckFromTheReply(@TempDir Path pi) {
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            agent.tick();
            agent.tick();
            assertThat(server.registrations()).isEqualTo(1);
            assertThat(server.heartbeats()).hasSize(1);
            assertThat(checks(server)).isZero();

            server.offer(new UpdateOffer(UUID.randomUUID(), "v1.1.0", UpdateType.SCHEDULED, "", "/nowhere",
                    "0".repeat(64), 1, false, List.of(), false), Instant.parse("2025-06-02T02:00:00Z"));
            clock.advance(Duration.ofSeconds(299));
            agent.tick();
            assertThat(server.heartbeats()).hasSize(1);
            assertThat(agent.machine().idle()).isTrue();

            clock.advance(Duration.ofSeconds(1));
            agent.tick();
            assertThat(server.heartbeats()).hasSize(2);
            assertThat(checks(server)).isZero();
            assertThat(agent.machine().idle()).as("waiting for the offered update").isFalse();
            assertThat(server.registrations()).isEqualTo(1);
        }
    }

    @Test
    void asksTheCheckApartWhenTheHeartbeatReplyLeavesItOut(@TempDir Path pi) {
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            server.checkInHeartbeat(false);
            agent.tick();
            assertThat(server.heartbeats()).hasSize(1);
            assertThat(checks(server)).isEqualTo(1);

            clock.advance(Duration.ofSeconds(300));
            agent.tick();
            assertThat(server.heartbeats()).hasSize(2);
            assertThat(checks(server)).isEqualTo(2);
        }
    }

    @Test
    void backsOffWhileTheServerIsDownAndComesBackWhenItIs(@TempDir Path pi) {
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            server.down(true);
            agent.tick();
            int attempts = server.requests().size();
            agent.tick(); // within the backoff: no new attempt
            assertThat(server.requests()).hasSize(attempts);

            server.down(false);
            clock.advance(Duration.ofSeconds(10));
            agent.tick();

            assertThat(server.registrations()).isEqualTo(1);
            assertThat(server.heartbeats()).hasSize(1);
        }
    }

    @Test
    void comesBackNoSoonerThanTheServerAskedWhenItSaysWhen(@TempDir Path pi) {
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            agent.tick();
            server.down(true);
            server.retryAfter(Duration.ofSeconds(120));
            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            int attempts = server.requests().size();

            server.down(false);
            clock.advance(Duration.ofSeconds(119)); // far beyond the first backoff (5 s)
            agent.tick();
            assertThat(server.requests()).hasSize(attempts);
            clock.advance(Duration.ofSeconds(1));
            agent.tick();
            assertThat(server.heartbeats()).hasSize(2);
        }
    }

    @Test
    void keepsItsIntervalsWhenTheWallClockIsSteppedBackOrForward(@TempDir Path pi) {
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            server.checkInHeartbeat(false);
            agent.tick();
            assertThat(server.heartbeats()).hasSize(1);
            assertThat(checks(server)).isEqualTo(1);

            clock.set(clock.instant().minus(Duration.ofHours(3))); // NTP steps a Pi's clock back
            clock.advance(Duration.ofSeconds(299));
            agent.tick();
            assertThat(server.heartbeats()).hasSize(1);
            clock.advance(Duration.ofSeconds(1));
            agent.tick();
            assertThat(server.heartbeats()).as("due after the interval, not three hours later").hasSize(2);
            assertThat(checks(server)).isEqualTo(2);

            clock.set(clock.instant().plus(Duration.ofHours(3))); // and forward
            agent.tick();
            assertThat(server.heartbeats()).as("a step forward fires nothing early").hasSize(2);
            assertThat(checks(server)).isEqualTo(2);
            clock.advance(Duration.ofSeconds(299));
            agent.tick();
            assertThat(server.heartbeats()).hasSize(2);
            clock.advance(Duration.ofSeconds(1));
            agent.tick();
            assertThat(server.heartbeats()).hasSize(3);
            assertThat(checks(server)).isEqualTo(3);
        }
    }

    @Test
    void waitsOutRetryAfterOnTheMonotonicClockWhateverTheWallClockDoes(@TempDir Path pi) {
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            agent.tick();
            server.down(true);
            server.retryAfter(Duration.ofSeconds(120));
            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            int attempts = server.requests().size();
            server.down(false);

            clock.set(clock.instant().plus(Duration.ofHours(3)));
            agent.tick();
            assertThat(server.requests()).as("right after a step forward").hasSize(attempts);
            clock.advance(Duration.ofSeconds(60));
            clock.set(clock.instant().minus(Duration.ofHours(6)));
            clock.advance(Duration.ofSeconds(59));
            agent.tick();
            assertThat(server.requests()).as("119 s after the answer, the wall clock now 3 h behind")
                    .hasSize(attempts);
            clock.advance(Duration.ofSeconds(1));
            agent.tick();
            assertThat(server.heartbeats()).as("120 s after the answer").hasSize(2);
        }
    }

    @Test
    void tellsItsOwnSettingsUntilAHeartbeatCarryingThemIsAnsweredOncePerStart(@TempDir Path pi) {
        try (FakeServer server = new FakeServer()) {
            try (Agent agent = agent(pi, server, Map.of("DEVICE_UPDATE_HOUR", "3"))) {
                agent.tick();
                clock.advance(Duration.ofSeconds(300));
                agent.tick();
            }
            assertThat(server.heartbeats()).extracting(Heartbeat::settings)
                    .containsExactly(new AgentSettings(3), null);

            // started again without the setting: the server learns that it is gone
            try (Agent restarted = agent(pi, server)) {
                restarted.tick();
            }
            assertThat(server.heartbeats()).extracting(Heartbeat::settings)
                    .containsExactly(new AgentSettings(3), null, new AgentSettings(null));
            assertThat(lastHeartbeatBody(server)).contains("\"settings\":{}");
        }
    }

    @Test
    void tellsItsSettingsAgainWhenTheHeartbeatCarryingThemWasNotAnswered(@TempDir Path pi) {
        try (FakeServer server = new FakeServer()) {
            try (Agent agent = agent(pi, server)) {
                agent.tick(); // registered, the token kept on disk
            }
            server.down(true);
            try (Agent restarted = agent(pi, server, Map.of("DEVICE_UPDATE_HOUR", "4"))) {
                clock.advance(Duration.ofSeconds(300));
                restarted.tick();
                assertThat(heartbeatsSent(server)).extracting(Heartbeat::settings)
                        .as("the one the server, down, did not answer").endsWith(new AgentSettings(4));
                server.down(false);
                clock.advance(Duration.ofSeconds(10));
                restarted.tick();
                clock.advance(Duration.ofSeconds(300));
                restarted.tick();
            }
            assertThat(server.heartbeats()).extracting(Heartbeat::settings)
                    .containsExactly(new AgentSettings(null), new AgentSettings(4), null);
        }
    }

    private List<Heartbeat> heartbeatsSent(FakeServer server) {
        return server.requests().stream().filter(r -> r.getUrl().encodedPath().endsWith("/heartbeat"))
                .map(r -> server.json.readValue(r.getBody().toByteArray(), Heartbeat.class)).toList();
    }

    private static String lastHeartbeatBody(FakeServer server) {
        List<String> bodies = server.requests().stream().filter(r -> r.getUrl().encodedPath().endsWith("/heartbeat"))
                .map(r -> new String(r.getBody().toByteArray(), StandardCharsets.UTF_8)).toList();
        return bodies.get(bodies.size() - 1);
    }

    @Test
    void registersAgainWithTheSameUuidWhenTheTokenIsLost(@TempDir Path pi) {
        try (FakeServer server = new FakeServer()) {
            String uuid;
            try (Agent agent = agent(pi, server)) {
                agent.tick();
                uuid = agent.session().deviceUuid();
            }
            server.revokeToken();
            try (Agent restarted = agent(pi, server)) {
                clock.advance(Duration.ofMinutes(5));
                restarted.tick();
                assertThat(restarted.session().deviceUuid()).isEqualTo(uuid);
            }
            assertThat(server.registrations()).isEqualTo(2);
            assertThat(server.heartbeats()).hasSize(2);
        }
    }

    @Test
    void keepsHeartbeatingUpdatingThroughATwentyMinuteAptRun(@TempDir Path pi) throws IOException {
        preinstall(pi, "v1.0.0");
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            agent.tick();
            Path zip = PackageBuilder.samplePackage(pi.resolve("work"), Version.parse("v1.1.0"), UpdateType.URGENT,
                    List.of("libopus0"));
            server.offer(zip, "v1.1.0", UpdateType.URGENT, clock.instant().minusSeconds(60), List.of("libopus0"));
            List<Heartbeat> beforeTheStep = new ArrayList<>();
            List<Heartbeat> duringApt = new ArrayList<>();
            List<String> missed = new ArrayList<>();
            // apt-get install taking twenty minutes of the fake clock, one minute at a time; at each interval the
            // heartbeat must arrive while the command still runs
            runner.answer(List.of("apt-get", "-o", "DPkg::Lock::Timeout=120", "install"), command -> {
                if (!arrives(() -> server.heartbeats().stream().anyMatch(b -> b.status() == DeviceStatus.UPDATING))) {
                    missed.add("the updating heartbeat at the start of the install");
                }
                beforeTheStep.addAll(server.heartbeats());
                for (int minute = 1; minute <= 20; minute++) {
                    int sent = server.heartbeats().size();
                    clock.advance(Duration.ofMinutes(1));
                    if (minute % 5 == 0 && !arrives(() -> server.heartbeats().size() > sent)) {
                        missed.add("the heartbeat at minute " + minute);
                    }
                }
                duringApt.addAll(server.heartbeats().subList(beforeTheStep.size(), server.heartbeats().size()));
                return CommandResult.ok("");
            });
            clock.advance(Duration.ofMinutes(5));
            agent.tick();

            assertThat(missed).as("heartbeats missed during the apt run").isEmpty();
            assertThat(agent.machine().idle()).isTrue();
            assertThat(duringApt).hasSize(4)
                    .allSatisfy(beat -> assertThat(beat.status()).isEqualTo(DeviceStatus.UPDATING))
                    .allSatisfy(beat -> assertThat(beat.currentVersion()).isEqualTo("v1.0.0"));
            assertThat(server.heartbeats().subList(beforeTheStep.size(), server.heartbeats().size()))
                    .as("to the end of the install; the new version once current points at it")
                    .allSatisfy(beat -> assertThat(beat.status()).isEqualTo(DeviceStatus.UPDATING));

            List<String> exchanges = server.requests().stream()
                    .map(r -> r.getUrl().encodedPath() + " " + (r.getBody() == null ? ""
                            : new String(r.getBody().toByteArray(), StandardCharsets.UTF_8)))
                    .toList();
            int completed = lastIndex(exchanges, e -> e.contains("/status ") && e.contains("\"completed\""));
            assertThat(completed).isPositive();
            assertThat(lastIndex(exchanges, e -> e.contains("/heartbeat ") && e.contains("\"updating\"")))
                    .as("no heartbeat says updating after the completed report").isLessThan(completed);

            clock.advance(Duration.ofSeconds(1));
            agent.tick();
            Heartbeat last = server.heartbeats().get(server.heartbeats().size() - 1);
            assertThat(last.status()).as("once the update ends").isEqualTo(DeviceStatus.ONLINE);
            assertThat(last.currentVersion()).isEqualTo("v1.1.0");
        }
    }

    @Test
    void tellsTheInstallStepAndTheDownloadsProgressInItsHeartbeats(@TempDir Path pi) throws Exception {
        preinstall(pi, "v1.0.0");
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            agent.tick();
            Path zip = PackageBuilder.samplePackage(pi.resolve("work"), Version.parse("v1.1.0"), UpdateType.URGENT,
                    List.of("libopus0"));
            UpdateOffer offer = server.offer(zip, "v1.1.0", UpdateType.URGENT, clock.instant().minusSeconds(60),
                    List.of("libopus0"));
            // all but one byte: 99 %, rounded down, never 100 before the end
            int held = (int) offer.sizeBytes() - 1;
            CountDownLatch release = server.holdNextDownloadAfter(held);
            Path part = pi.resolve("state/staging/" + offer.id() + ".zip");
            List<Heartbeat> duringApt = new ArrayList<>();
            runner.answer(List.of("apt-get", "-o", "DPkg::Lock::Timeout=120", "install"), command -> {
                int sent = server.heartbeats().size();
                clock.advance(Duration.ofMinutes(5));
                if (arrives(() -> server.heartbeats().size() > sent)) {
                    duringApt.add(server.heartbeats().get(sent));
                }
                return CommandResult.ok("");
            });

            clock.advance(Duration.ofMinutes(5));
            CompletableFuture<Void> installing = CompletableFuture.runAsync(agent::tick);
            assertThat(arrives(() -> Files.exists(part) && Files.size(part) == held)).as("held download").isTrue();
            assertThat(arrives(() -> server.heartbeats().size() == 3)).as("the updating heartbeat, at once").isTrue();
            int sent = server.heartbeats().size();
            clock.advance(Duration.ofMinutes(5));
            assertThat(arrives(() -> server.heartbeats().size() > sent)).as("the heartbeat while held").isTrue();
            release.countDown();
            installing.get(10, TimeUnit.SECONDS);

            List<Heartbeat> beats = server.heartbeats();
            assertThat(beats.get(0).step()).as("online: no step").isNull();
            assertThat(beats.get(0).progressPercent()).isNull();
            assertThat(beats.get(2).status()).isEqualTo(DeviceStatus.UPDATING);
            assertThat(beats.get(2).step()).isEqualTo("downloading");
            assertThat(beats.get(2).progressPercent()).as("sent as the download began").isIn(0, 99);
            assertThat(beats.get(sent).step()).isEqualTo("downloading");
            assertThat(beats.get(sent).progressPercent()).isEqualTo(99);
            assertThat(duringApt).singleElement().satisfies(beat -> {
                assertThat(beat.status()).isEqualTo(DeviceStatus.UPDATING);
                assertThat(beat.step()).isEqualTo("system-packages");
                assertThat(beat.progressPercent()).as("only while downloading").isNull();
            });

            clock.advance(Duration.ofSeconds(1));
            agent.tick();
            Heartbeat last = server.heartbeats().get(server.heartbeats().size() - 1);
            assertThat(last.status()).isEqualTo(DeviceStatus.ONLINE);
            assertThat(last.step()).isNull();
            assertThat(last.progressPercent()).isNull();
        }
    }

    @Test
    void followsTheHeartbeatIntervalTheServerSendsAndChanges(@TempDir Path pi) {
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            server.intervals(60, 300);
            agent.tick();
            assertThat(server.heartbeats()).hasSize(1);
            clock.advance(Duration.ofSeconds(59));
            agent.tick();
            assertThat(server.heartbeats()).as("the server asked for 60 s, not the configured 300 s").hasSize(1);
            clock.advance(Duration.ofSeconds(1));
            server.intervals(600, 300);
            agent.tick();
            assertThat(server.heartbeats()).hasSize(2);

            clock.advance(Duration.ofSeconds(599));
            agent.tick();
            assertThat(server.heartbeats()).as("the server now asks for 600 s").hasSize(2);
            clock.advance(Duration.ofSeconds(1));
            agent.tick();
            assertThat(server.heartbeats()).hasSize(3);
        }
    }

    @Test
    void followsTheCheckIntervalOfTheCheckAnswer(@TempDir Path pi) {
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            server.checkInHeartbeat(false);
            server.intervals(3600, 120);
            agent.tick();
            assertThat(checks(server)).isEqualTo(1);
            clock.advance(Duration.ofSeconds(119));
            agent.tick();
            assertThat(checks(server)).isEqualTo(1);
            clock.advance(Duration.ofSeconds(1));
            agent.tick();
            assertThat(checks(server)).isEqualTo(2);
            assertThat(server.heartbeats()).hasSize(1);
        }
    }

    @Test
    void fallsBackToItsOwnIntervalWhenTheReplyHasNone(@TempDir Path pi) {
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            server.intervals(60, 60);
            agent.tick();
            server.intervals(null, null); // an older server
            clock.advance(Duration.ofSeconds(60));
            agent.tick();
            assertThat(server.heartbeats()).hasSize(2);

            clock.advance(Duration.ofSeconds(299));
            agent.tick();
            assertThat(server.heartbeats()).as("the configured 300 s again").hasSize(2);
            clock.advance(Duration.ofSeconds(1));
            agent.tick();
            assertThat(server.heartbeats()).hasSize(3);
        }
    }

    @Test
    void clampsHostileIntervalsAndSaysSoOnce(@TempDir Path pi) {
        LoggedWarnings logged = LoggedWarnings.of(ServerIntervals.class);
        List<LogRecord> warnings = logged.records();
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server)) {
            server.intervals(1, 300);
            agent.tick();
            for (int i = 0; i < 3; i++) {
                clock.advance(Duration.ofSeconds(9));
                agent.tick();
                assertThat(server.heartbeats()).as("at most one heartbeat every 10 s").hasSize(1 + i);
                clock.advance(Duration.ofSeconds(1));
                agent.tick();
                assertThat(server.heartbeats()).hasSize(2 + i);
            }
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0).getMessage()).contains("heartbeat_interval_seconds=1", "using 10 s");

            server.intervals(Integer.MAX_VALUE, 300);
            clock.advance(Duration.ofSeconds(10));
            agent.tick();
            int sent = server.heartbeats().size();
            clock.advance(Duration.ofHours(24).minusSeconds(1));
            agent.tick();
            assertThat(server.heartbeats()).as("a server asking for 68 years gets one a day").hasSize(sent);
            clock.advance(Duration.ofSeconds(1));
            agent.tick();
            assertThat(server.heartbeats()).hasSize(sent + 1);
            assertThat(warnings).hasSize(2);
        } finally {
            logged.close();
        }
    }

    @Test
    void everyHeartbeatSaysWhichAgentSendsItAndTheNewestPackageFormatItReads(@TempDir Path pi) throws IOException {
        try (FakeServer server = new FakeServer(); Agent agent = Main.assemble(AgentConfig.from(Map.of(
                "SERVER_URL", server.url(), "API_KEY", FakeServer.ENROLLMENT_KEY, "DEVICE_TIMEZONE", "UTC",
                "INSTALL_DIR", pi.resolve("opt/javia").toString(), "STATE_DIR", pi.resolve("state").toString(),
                "AGENT_HOME", pi.resolve("opt/javia-agent").toString(), "ALSA_STREAMS", "none"),
                pi.resolve("home")), runner, new SystemdNotifier(runner, Map.of()), clock, clock::nanoTime,
                clock.sleeper(), () -> {
                    throw new IllegalStateException("no GPIO");
                }, Duration.ofMillis(5), "v0.2.0")) {
            agent.tick();

            Heartbeat beat = server.heartbeats().get(0);
            assertThat(beat.agentVersion()).isEqualTo("v0.2.0");
            assertThat(beat.packageFormat()).isEqualTo(2);
            assertThat(server.requests().stream().filter(r -> r.getUrl().encodedPath().endsWith("/heartbeat"))
                    .findFirst().orElseThrow().getBody().utf8()).contains("\"agent_version\":\"v0.2.0\"",
                    "\"package_format\":2");
        }
    }

    private static int lastIndex(List<String> exchanges, Predicate<String> matching) {
        for (int i = exchanges.size() - 1; i >= 0; i--) {
            if (matching.test(exchanges.get(i))) {
                return i;
            }
        }
        return -1;
    }

    /** Whether {@code condition} comes true within two seconds (the step's heartbeat thread runs every 5 ms). */
    private static boolean arrives(Callable<Boolean> condition) {
        try {
            Awaitility.await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(5)).until(condition);
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }

    /** What setup.sh leaves: one release, current pointing at it, VERSION. */
    private static void preinstall(Path pi, String version) throws IOException {
        Path root = pi.resolve("opt/javia");
        Files.createDirectories(root.resolve("releases/" + version));
        Files.writeString(root.resolve("releases/" + version + "/client.py"), "print('old')\n");
        Files.createSymbolicLink(root.resolve("current"), Path.of("releases", version));
        Files.writeString(root.resolve("VERSION"), version + "\n");
    }

    private long checks(FakeServer server) {
        return server.requests().stream().filter(r -> r.getUrl().encodedPath().endsWith("/updates/check")).count();
    }

    private Agent agent(Path pi, FakeServer server) {
        return agent(pi, server, Map.of());
    }

    /** @param settings more settings, or ones that replace the test's own */
    private Agent agent(Path pi, FakeServer server, Map<String, String> settings) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SERVER_URL", server.url());
        env.put("API_KEY", FakeServer.ENROLLMENT_KEY);
        env.put("DEVICE_TIMEZONE", "UTC");
        env.put("INSTALL_DIR", pi.resolve("opt/javia").toString());
        env.put("STATE_DIR", pi.resolve("state").toString());
        env.put("ALSA_STREAMS", "none");
        env.put("URGENT_IDLE_MINUTES", "0");
        env.put("HEALTH_CHECK_SECONDS", "4");
        env.putAll(settings);
        return Main.assemble(AgentConfig.from(env, pi.resolve("home")), runner, new SystemdNotifier(runner, Map.of()),
                clock, clock::nanoTime, clock.sleeper(), () -> {
                    throw new IllegalStateException("no GPIO");
                }, Duration.ofMillis(5));
    }
}
