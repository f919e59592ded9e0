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

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The loop: registration once, heartbeats (which answer the check too) at their interval, backoff while the server is away. */
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
                    "0".repeat(64), 1, false, List.of()), Instant.parse("2025-06-02T02:00:00Z"));
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

    private long checks(FakeServer server) {
        return server.requests().stream().filter(r -> r.getUrl().encodedPath().endsWith("/updates/check")).count();
    }

    private Agent agent(Path pi, FakeServer server) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SERVER_URL", server.url());
        env.put("API_KEY", FakeServer.ENROLLMENT_KEY);
        env.put("DEVICE_TIMEZONE", "UTC");
        env.put("INSTALL_DIR", pi.resolve("opt/javia").toString());
        env.put("STATE_DIR", pi.resolve("state").toString());
        env.put("ALSA_STREAMS", "none");
        return Main.assemble(AgentConfig.from(env, pi.resolve("home")), runner, new SystemdNotifier(runner, Map.of()),
                clock, clock.sleeper(), () -> {
                    throw new IllegalStateException("no GPIO");
                });
    }
}
