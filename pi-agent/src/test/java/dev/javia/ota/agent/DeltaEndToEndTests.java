package dev.javia.ota.agent;

import dev.javia.ota.agent.testing.MutableClock;
import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.packager.CreateUpdate;
import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 18's "done when", through the whole system in one JVM: the real server (PostgreSQL, HTTP, its package
 * store), updates published by the real packager, and the agent as {@link Main} wires it. A release with a 4 MB model
 * is installed whole; the next one changes one line of one file: the server makes the delta when it is published,
 * the device downloads a few kilobytes, builds the release from the one it runs (the model linked, not sent), every
 * file verified before the switch, and the rollout shows what was saved.
 */
class DeltaEndToEndTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MODEL_BYTES = 4 * 1024 * 1024;
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
    void aOneFileChangeTravelsAsAFewKilobytesAndTheRolloutShowsTheSaving(@TempDir Path pi) throws IOException {
        MutableClock clock = new MutableClock(Instant.now());
        RecordingCommandRunner runner = new RecordingCommandRunner();
        EndToEndPi.preinstall(pi, "v1.0.0");
        byte[] model = new byte[MODEL_BYTES];
        new Random(18).nextBytes(model);
        try (Agent agent = EndToEndPi.agent(server, pi, runner, clock, Map.of(), null)) {
            agent.tick();
            String uuid = agent.session().deviceUuid();

            publish(pi, uuid, "v1.1.0", model, "print('hello')\n");
            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            assertThat(EndToEndPi.deviceColumn(server, uuid, "current_version")).isEqualTo("v1.1.0");
            assertThat(EndToEndPi.updateColumn(server, uuid, "v1.1.0", "delivery"))
                    .as("the release setup.sh left has no kept manifest: the first update travels whole")
                    .isEqualTo("full");

            publish(pi, uuid, "v1.2.0", model, "print('hello, world')\n");
            clock.advance(Duration.ofMinutes(5));
            agent.tick();

            assertThat(agent.machine().idle()).isTrue();
            assertThat(EndToEndPi.deviceColumn(server, uuid, "current_version")).isEqualTo("v1.2.0");
            assertThat(EndToEndPi.updateColumn(server, uuid, "v1.2.0", "status")).isEqualTo("completed");
            assertThat(EndToEndPi.updateColumn(server, uuid, "v1.2.0", "delivery")).isEqualTo("delta");
            long downloaded = Long.parseLong(EndToEndPi.updateColumn(server, uuid, "v1.2.0", "downloaded_bytes"));
            long full = server.jdbcTemplate().queryForObject("select size_bytes from updates where version = 'v1.2.0'",
                    Long.class);
            assertThat(full).isGreaterThan(MODEL_BYTES);
            assertThat(downloaded).as("a few kilobytes of a %d-byte package", full).isLessThan(16 * 1024);

            JsonNode rollouts = JSON.readTree(server.api().get(ApiPaths.ROLLOUTS + "?version=v1.2.0",
                    server.adminKey()).body());
            String rollout = rollouts.get("rollouts").get(0).get("id").asText();
            JsonNode delivery = JSON.readTree(server.api().get(ApiPaths.rollout(rollout), server.adminKey()).body())
                    .get("delivery");
            assertThat(delivery.get("devices").asLong()).isEqualTo(1);
            assertThat(delivery.get("delta_devices").asLong()).isEqualTo(1);
            assertThat(delivery.get("downloaded_bytes").asLong()).isEqualTo(downloaded);
            assertThat(delivery.get("full_bytes").asLong()).isEqualTo(full);
        }
        Path release = pi.resolve("opt/javia/releases/v1.2.0");
        assertThat(Files.readSymbolicLink(pi.resolve("opt/javia/current")).toString()).isEqualTo("releases/v1.2.0");
        assertThat(Files.readString(release.resolve("client.py"))).isEqualTo("print('hello, world')\n");
        assertThat(Files.readAllBytes(release.resolve("model.bin"))).isEqualTo(model);
        assertThat(Files.isSameFile(release.resolve("model.bin"), pi.resolve("opt/javia/releases/v1.1.0/model.bin")))
                .as("the unchanged model is linked from the release the device ran, not sent").isTrue();
    }

    /** create_update with a source of a model, a client and requirements, for this one device. */
    private static void publish(Path pi, String deviceUuid, String version, byte[] model, String client)
            throws IOException {
        Path source = Files.createDirectories(pi.resolve("build/pi_client-" + version));
        Files.write(source.resolve("model.bin"), model);
        Files.writeString(source.resolve("client.py"), client);
        Files.writeString(source.resolve("requirements.txt"), "requests==2.32.3\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = CreateUpdate.run(Map.of("OTA_SERVER_URL", server.baseUrl(), "OTA_ADMIN_API_KEY", server.adminKey()),
                pi, new PrintWriter(out, true), new PrintWriter(err, true), version, "delta end-to-end " + version,
                "urgent", "--source", source.toString(), "--target-devices", deviceUuid);
        assertThat(exit).as(out + "\n" + err).isZero();
    }
}
