package dev.javia.ota.agent;

import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.agent.testing.MutableClock;
import dev.javia.ota.packager.CreateUpdate;
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
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Trust through the whole system: publisher keys made by the real packager ({@code keygen}), a real server that
 * requires signed packages ({@code OTA_PUBLISHER_KEYS}), packages and rollback statements signed by the real
 * packager, and the agent as {@link Main} wires it, with its keys pinned as {@code setup.sh} pins them.
 */
class SignedEndToEndTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    @TempDir
    static Path keys;
    private static TestServer server;
    private static String oldKey;
    private static String newKey;

    @BeforeAll
    static void startServerWithTwoPublisherKeys() throws IOException {
        packager(keys, "keygen", "--out", keys.toString(), "--name", "old");
        packager(keys, "keygen", "--out", keys.toString(), "--name", "new");
        oldKey = Files.readString(keys.resolve("old.pub")).strip();
        newKey = Files.readString(keys.resolve("new.pub")).strip();
        server = TestServer.start(Map.of("ota.publisher-keys", oldKey + "," + newKey));
    }

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

    /**
     * The rotation of docs/security.md, step by step: the agent pins only the old key; an update signed by the old
     * key names both; the next, signed by the new key, names only the new one and installs; after it, what the old
     * key signs is refused by the agent, although the server still accepts it.
     */
    @Test
    void aNewPublisherKeyReachesTheAgentThroughAnUpdateSignedByTheOldOneAndRetiresIt(@TempDir Path pi)
            throws IOException {
        MutableClock clock = new MutableClock(Instant.now());
        preinstall(pi, "v1.0.0");
        try (Agent agent = agent(pi, clock, oldKey)) {
            agent.tick();
            String uuid = agent.session().deviceUuid();

            publish(pi, uuid, "v1.1.0", "--sign-key", keys.resolve("old.key").toString(),
                    "--publisher-keys", keys.resolve("old.pub") + "," + keys.resolve("new.pub"), "--key-serial", "2");
            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            assertThat(updateColumn(uuid, "v1.1.0", "status")).isEqualTo("completed");

            publish(pi, uuid, "v1.2.0", "--sign-key", keys.resolve("new.key").toString(),
                    "--publisher-keys", keys.resolve("new.pub").toString(), "--key-serial", "3");
            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            assertThat(updateColumn(uuid, "v1.2.0", "status")).isEqualTo("completed");
            assertThat(deviceColumn(uuid, "current_version")).isEqualTo("v1.2.0");

            publish(pi, uuid, "v1.3.0", "--sign-key", keys.resolve("old.key").toString());
            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            assertThat(updateColumn(uuid, "v1.3.0", "status")).isEqualTo("failed");
            assertThat(updateColumn(uuid, "v1.3.0", "error_message"))
                    .contains("not one of the trusted publisher keys");
            assertThat(deviceColumn(uuid, "current_version")).isEqualTo("v1.2.0");
        }
        assertThat(Files.readSymbolicLink(pi.resolve("opt/javia/current")).toString()).isEqualTo("releases/v1.2.0");
        JsonNode trusted = JSON.readTree(Files.readString(pi.resolve("var/lib/javia-agent/publisher-keys.json")));
        assertThat(trusted.get("serial").asInt()).isEqualTo(3);
        assertThat(trusted.get("keys").toString()).contains(newKey).doesNotContain(oldKey);
    }

    /**
     * A rollback without the publisher's statement is refused by the server; the one the command line signs is
     * offered, and the agent, which pins the key, installs the lower version with it.
     */
    @Test
    void aRollbackNeedsTheStatementTheCommandLineSigns(@TempDir Path pi) throws IOException {
        MutableClock clock = new MutableClock(Instant.now());
        preinstall(pi, "v1.0.0");
        String sign = keys.resolve("old.key").toString();
        try (Agent agent = agent(pi, clock, oldKey + "," + newKey)) {
            agent.tick();
            String uuid = agent.session().deviceUuid();
            publish(pi, uuid, "v1.1.0", "--sign-key", sign);
            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            publish(pi, uuid, "v1.2.0", "--sign-key", sign);
            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            assertThat(deviceColumn(uuid, "current_version")).isEqualTo("v1.2.0");

            JsonNode rollouts = JSON.readTree(server.api().get(ApiPaths.ROLLOUTS + "?version=v1.2.0",
                    server.adminKey()).body());
            String bad = rollouts.get("rollouts").get(0).get("id").asText();
            var unsigned = server.api().post(ApiPaths.rolloutAction(bad, "rollback"), server.adminKey(),
                    Map.of("to_version", "v1.1.0"));
            assertThat(unsigned.status()).as(unsigned.toString()).isEqualTo(400);
            assertThat(unsigned.body()).contains("--sign-key");

            String said = packager(pi, "rollout", "rollback", bad, "--to", "v1.1.0", "--sign-key", sign,
                    "--reason", "the wake word stopped working");
            assertThat(said).contains("v1.1.0");
            clock.advance(Duration.ofMinutes(5));
            agent.tick();
            assertThat(agent.machine().idle()).isTrue();
            assertThat(deviceColumn(uuid, "current_version")).isEqualTo("v1.1.0");
            assertThat(updateColumn(uuid, "v1.1.0", "status")).isEqualTo("completed");
        }
        assertThat(Files.readSymbolicLink(pi.resolve("opt/javia/current")).toString()).isEqualTo("releases/v1.1.0");
        // the statement's id is kept: the same statement takes this device back no second time
        assertThat(JSON.readTree(Files.readString(pi.resolve("var/lib/javia-agent/rollback-statements.json")))
                .get("used")).hasSize(1);
    }

    /** The server that requires signatures refuses an unsigned upload; the packager says how to sign. */
    @Test
    void anUnsignedUploadIsRefusedByTheServer(@TempDir Path pi) throws IOException {
        Path source = Files.createDirectories(pi.resolve("build/pi_client"));
        Files.writeString(source.resolve("client.py"), "print('unsigned')\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = CreateUpdate.run(Map.of("OTA_SERVER_URL", server.baseUrl(), "OTA_ADMIN_API_KEY",
                        server.adminKey()), pi, new PrintWriter(out, true), new PrintWriter(err, true),
                "v9.0.0", "unsigned", "urgent", "--source", source.toString());
        assertThat(exit).as(out + "\n" + err).isNotZero();
        assertThat(err.toString()).contains("not signed");
        assertThat(server.jdbcTemplate().queryForObject("select count(*) from updates", Long.class)).isZero();
    }

    private static Agent agent(Path pi, MutableClock clock, String pinnedKeys) {
        return EndToEndPi.agent(server, pi, new RecordingCommandRunner(), clock,
                Map.of("OTA_PUBLISHER_KEYS", pinnedKeys), null);
    }

    private static void preinstall(Path pi, String version) throws IOException {
        EndToEndPi.preinstall(pi, version);
    }

    /** Publishes with the real packager to this device alone, with {@code options} (the signing ones). */
    private static void publish(Path pi, String deviceUuid, String version, String... options) throws IOException {
        Path source = pi.resolve("build/pi_client-" + version);
        Files.createDirectories(source);
        Files.writeString(source.resolve("client.py"), "print('javia " + version + "')\n");
        List<String> args = new ArrayList<>(List.of(version, "signed " + version, "urgent", "--source",
                source.toString(), "--target-devices", deviceUuid));
        args.addAll(List.of(options));
        assertThat(packager(pi, args.toArray(String[]::new))).contains("published " + version);
    }

    /** Runs create_update in this JVM; answers what it printed, after asserting it succeeded. */
    private static String packager(Path workingDir, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Map<String, String> env = server == null ? Map.of()
                : Map.of("OTA_SERVER_URL", server.baseUrl(), "OTA_ADMIN_API_KEY", server.adminKey());
        int exit = CreateUpdate.run(env, workingDir, new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertThat(exit).as(out + "\n" + err).isZero();
        return out.toString();
    }

    private static String updateColumn(String deviceUuid, String version, String column) {
        return EndToEndPi.updateColumn(server, deviceUuid, version, column);
    }

    private static String deviceColumn(String deviceUuid, String column) {
        return EndToEndPi.deviceColumn(server, deviceUuid, column);
    }
}
