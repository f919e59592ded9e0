package dev.javia.ota.agent;

import dev.javia.ota.agent.config.AgentConfig;
import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.agent.system.SystemdNotifier;
import dev.javia.ota.agent.testing.FakeServer;
import dev.javia.ota.agent.testing.MutableClock;
import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The device key and SERVER_CA_FILE as the assembled agent (Main's wiring) uses them. */
class DeviceTrustStartTests {

    private final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final RecordingCommandRunner runner = new RecordingCommandRunner();

    @Test
    void theAgentMakesItsKeyAtFirstStartAndRegistersWithItsPublicKey(@TempDir Path pi) throws IOException {
        try (FakeServer server = new FakeServer(); Agent agent = agent(pi, server, Map.of())) {
            agent.tick();

            Path keyFile = pi.resolve("home/device-key.pem");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
            String publicKey = Ed25519Keys.text(Ed25519Keys.publicKeyOf(Ed25519Keys.privateKey(
                    Files.readString(keyFile))));
            RecordedRequest register = server.requests().stream()
                    .filter(r -> r.getUrl().encodedPath().equals(ApiPaths.REGISTER)).findFirst().orElseThrow();
            assertThat(JsonMapper.builder().build().readTree(register.getBody().utf8()).get("public_key").asString())
                    .isEqualTo(publicKey);
            assertThat(server.registrations()).isEqualTo(1);
        }
    }

    @Test
    void aDamagedKeyFileStopsTheStartAndIsLeftAsItWas(@TempDir Path pi) throws IOException {
        Path keyFile = pi.resolve("home/device-key.pem");
        Files.createDirectories(keyFile.getParent());
        Files.writeString(keyFile, "garbage\n");
        try (FakeServer server = new FakeServer()) {
            assertThatThrownBy(() -> agent(pi, server, Map.of())).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(keyFile + " does not hold a device key");
            assertThat(server.requests()).isEmpty();
        }
        assertThat(Files.readString(keyFile)).isEqualTo("garbage\n");
    }

    @Test
    void aServerCaFileThatIsNotThereStopsTheStart(@TempDir Path pi) {
        Path missing = pi.resolve("etc/javia/server-ca.pem");
        try (FakeServer server = new FakeServer()) {
            assertThatThrownBy(() -> agent(pi, server, Map.of("SERVER_CA_FILE", missing.toString())))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("SERVER_CA_FILE " + missing + " does not exist");
        }
    }

    private Agent agent(Path pi, FakeServer server, Map<String, String> settings) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SERVER_URL", server.url());
        env.put("API_KEY", FakeServer.ENROLLMENT_KEY);
        env.put("DEVICE_TIMEZONE", "UTC");
        env.put("INSTALL_DIR", pi.resolve("opt/javia").toString());
        env.put("STATE_DIR", pi.resolve("state").toString());
        env.put("ALSA_STREAMS", "none");
        env.put("GPIO_BUTTON_PIN", "");
        env.putAll(settings);
        return Main.assemble(AgentConfig.from(env, pi.resolve("home")), runner, new SystemdNotifier(runner, Map.of()),
                clock, clock::nanoTime, clock.sleeper(), () -> {
                    throw new IllegalStateException("no GPIO");
                }, Duration.ofMillis(5));
    }
}
