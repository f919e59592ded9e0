package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.UpdateCreated;
import dev.javia.ota.protocol.api.UpdatePage;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.api.UpdateView;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageSignatures;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.PublisherSignature;
import dev.javia.ota.protocol.trust.RollbackStatement;
import dev.javia.ota.protocol.trust.SignaturePurpose;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.javia.ota.packager.RolloutFixtures.ID;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the publisher's commands send, against a stand-in server that records every request: the upload's
 * {@code signature} field (built here, or the {@code .sig} beside a package built before), the signed rollback
 * statement, and a device key reset. The server's side of each is tested with the server.
 */
class TrustCommandTests {

    private static final Instant NOW = Instant.parse("2026-12-02T09:30:00Z");
    private static final String DEVICE = "0190f7a4-5b6c-7d8e-9f00-112233445566";
    private static final String ROLLOUT = "/api/v1/rollouts/" + ID;

    @TempDir
    Path dir;

    private PackagerEnvironment offline;
    private StubServer server;
    private String publicLine;
    private String keyId;

    @BeforeEach
    void setUp() throws IOException {
        CommandRun.writeSource(dir);
        offline = CommandRun.environment(dir, Map.of("SOURCE_DATE_EPOCH", "1700000000"));
        server = new StubServer();
        CommandRun.Result keygen = CommandRun.run(offline, "keygen");
        assertThat(keygen.exitCode()).as(keygen.toString()).isZero();
        publicLine = Files.readString(dir.resolve("publisher.pub")).strip();
        keyId = Ed25519Keys.keyId(Ed25519Keys.publicKey(publicLine));
    }

    @AfterEach
    void stopStub() {
        server.close();
    }

    @Test
    void aSignedPublicationUploadsItsSignatureBesideThePackage() throws IOException {
        acceptUpload(builtSha256());

        CommandRun.Result result = CommandRun.run(online(), "--sign-key", "publisher.key", "v1.4.0", "New wake word",
                "scheduled");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("published v1.4.0", "  signed   by " + keyId);
        Map<String, String> form = uploadedFields();
        PublisherSignature signature = ServerConnection.JSON.readValue(form.get("signature"),
                PublisherSignature.class);
        assertThat(signature.keyId()).isEqualTo(keyId);
        assertThat(form).containsEntry("version", "v1.4.0").containsEntry("update_type", "scheduled");
        // what the server received verifies over the package it received: the build from the same files
        assertThat(PublisherKeys.parse(List.of(publicLine)).verify(SignaturePurpose.PACKAGE,
                PackageTrust.signedContent(PackageSignatures.metadataSha256(dir.resolve("built.zip"),
                        PackageLimits.defaults())), signature, "package v1.4.0")).isEqualTo(keyId);
    }

    @Test
    void anUnsignedPublicationSendsNoSignatureField() throws IOException {
        acceptUpload(builtSha256());

        CommandRun.Result result = CommandRun.run(online(), "v1.4.0", "New wake word", "scheduled");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(uploadedFields()).doesNotContainKey("signature").containsEntry("version", "v1.4.0");
        assertThat(result.out()).doesNotContain("signed");
    }

    @Test
    void aPackageBuiltBeforeIsPublishedWithTheSigBesideIt() throws IOException {
        assertThat(CommandRun.run(offline, "--output", "dist/", "v1.4.0", "New wake word", "urgent",
                "libopus0").exitCode()).isZero();
        Path zip = dir.resolve("dist/update_v1.4.0.zip");
        CommandRun.Result signed = CommandRun.run(offline, "sign", "dist/update_v1.4.0.zip", "--sign-key",
                "publisher.key");
        assertThat(signed.exitCode()).as(signed.toString()).isZero();
        acceptUpload(Sha256.of(zip));

        CommandRun.Result result = CommandRun.run(online(), "--package", "dist/update_v1.4.0.zip");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.err()).contains("sending the signature in " + zip + ".sig (key " + keyId + ")");
        Map<String, String> form = uploadedFields();
        assertThat(form.get("signature")).isEqualTo(Files.readString(Path.of(zip + ".sig")).strip());
        // the fields come from the package's own metadata
        assertThat(form).containsEntry("version", "v1.4.0").containsEntry("description", "New wake word")
                .containsEntry("update_type", "urgent").containsEntry("system_packages", "libopus0");
    }

    @Test
    void aPackageWithoutASigGoesUnsignedAndSaysHowToSignIt() throws IOException {
        assertThat(CommandRun.run(offline, "--output", "dist/", "v1.4.0", "New wake word", "scheduled").exitCode())
                .isZero();
        acceptUpload(Sha256.of(dir.resolve("dist/update_v1.4.0.zip")));

        CommandRun.Result result = CommandRun.run(online(), "--package", "dist/update_v1.4.0.zip");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(uploadedFields()).doesNotContainKey("signature");
        assertThat(result.err()).contains("note: no update_v1.4.0.zip.sig beside the package: it goes unsigned",
                "create_update.sh sign");
    }

    @Test
    void aPackageBuiltBeforeCanBeSignedAsItIsPublished() throws IOException {
        assertThat(CommandRun.run(offline, "--output", "dist/", "v1.4.0", "New wake word", "scheduled").exitCode())
                .isZero();
        Path zip = dir.resolve("dist/update_v1.4.0.zip");
        acceptUpload(Sha256.of(zip));

        CommandRun.Result result = CommandRun.run(online(), "--package", "dist/update_v1.4.0.zip", "--sign-key",
                "publisher.key");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(uploadedFields().get("signature")).isEqualTo(Files.readString(Path.of(zip + ".sig")).strip());
    }

    @Test
    void packageRefusesWhatBelongsToTheBuildAndWhatIsNoPackage() throws IOException {
        assertThat(CommandRun.run(offline, "--output", "dist/", "v1.4.0", "New wake word", "scheduled").exitCode())
                .isZero();
        assertFails(CommandRun.run(online(), "--package", "dist/update_v1.4.0.zip", "v1.4.0", "x", "scheduled"), 2,
                "its version, description, type and system packages come from its update_metadata.json");
        assertFails(CommandRun.run(online(), "--package", "dist/update_v1.4.0.zip", "--publisher-keys",
                "publisher.pub", "--key-serial", "2"), 2, "the key set is inside the signed metadata");
        assertFails(CommandRun.run(online(), "--package", "dist/update_v1.4.0.zip", "--bump", "patch"), 2,
                "--bump belongs to the build");
        assertFails(CommandRun.run(online(), "--package", "dist/missing.zip"), 2, "is not a file");
        Files.writeString(dir.resolve("dist/update_v1.4.0.zip.sig"), "{\"key\":1}");
        assertFails(CommandRun.run(online(), "--package", "dist/update_v1.4.0.zip"), 2, "is not a signature");
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void aSignedRollbackSendsAStatementNamingTheRolloutAndItsVersions() {
        server.answer("GET", ROLLOUT, 200, RolloutFixtures.running())
                .answer("POST", ROLLOUT + "/rollback", 201, RolloutFixtures.running());

        CommandRun.Result result = CommandRun.run(online(), NOW, "rollout", "rollback", ID.toString(), "--to",
                "v1.3.2", "--sign-key", "publisher.key", "--reason", "audio drops");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(server.requests()).extracting(StubServer.Request::target).containsExactly(ROLLOUT,
                ROLLOUT + "/rollback");
        JsonNode body = ServerConnection.JSON.readTree(server.requests().get(1).body());
        assertThat(body.get("reason").asString()).isEqualTo("audio drops");
        assertThat(body.get("to_version").asString()).isEqualTo("v1.3.2");
        RollbackStatement.Signed signed = ServerConnection.JSON.treeToValue(body.get("statement"),
                RollbackStatement.Signed.class);
        RollbackStatement statement = signed.verify(PublisherKeys.parse(List.of(publicLine)));
        assertThat(statement.rolloutId()).isEqualTo(ID);
        assertThat(statement.targetVersion()).isEqualTo("v1.3.2");
        assertThat(statement.replaces()).containsExactly("v1.4.0");
        assertThat(statement.issuedAt()).isEqualTo(NOW);
        assertThat(signed.signature().keyId()).isEqualTo(keyId);
        assertThat(result.err()).contains("signed rollback statement " + statement.statementId()
                + " with publisher key " + keyId + ": rollout " + ID + ", v1.4.0 -> v1.3.2");
    }

    @Test
    void javiaOtaSignsTheRollbackTooAndEachStatementIsNew() {
        server.answer("GET", ROLLOUT, 200, RolloutFixtures.running())
                .answer("POST", ROLLOUT + "/rollback", 201, RolloutFixtures.running());

        for (int i = 0; i < 2; i++) {
            CommandRun.Result result = CommandRun.operator(online(), NOW, "rollback", ID.toString(), "--to", "v1.3.2",
                    "--sign-key", "publisher.key");
            assertThat(result.exitCode()).as(result.toString()).isZero();
        }

        List<RollbackStatement> statements = server.requests().stream()
                .filter(request -> request.method().equals("POST"))
                .map(request -> ServerConnection.JSON.treeToValue(ServerConnection.JSON.readTree(request.body())
                        .get("statement"), RollbackStatement.Signed.class).verify(PublisherKeys.parse(
                        List.of(publicLine))))
                .toList();
        assertThat(statements).hasSize(2);
        assertThat(statements.get(0).statementId()).isNotEqualTo(statements.get(1).statementId());
    }

    @Test
    void theSigningKeyOfTheSettingsSignsTheRollback() {
        server.answer("GET", ROLLOUT, 200, RolloutFixtures.running())
                .answer("POST", ROLLOUT + "/rollback", 201, RolloutFixtures.running());
        Map<String, String> variables = new HashMap<>(settings());
        variables.put("OTA_SIGN_KEY", "publisher.key");

        CommandRun.Result result = CommandRun.run(CommandRun.environment(dir, variables), NOW, "rollout", "rollback",
                ID.toString(), "--to", "v1.3.2");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(ServerConnection.JSON.readTree(server.requests().get(1).body()).has("statement")).isTrue();
    }

    @Test
    void aSignedRollbackNeedsToAndAnOlderVersion() {
        assertFails(CommandRun.run(online(), NOW, "rollout", "rollback", ID.toString(), "--sign-key",
                "publisher.key"), 2, "a signed rollback needs --to VERSION");
        assertThat(server.requests()).isEmpty();

        server.answer("GET", ROLLOUT, 200, RolloutFixtures.running());
        assertFails(CommandRun.run(online(), NOW, "rollout", "rollback", ID.toString(), "--to", "v1.4.0",
                "--sign-key", "publisher.key"), 2, "--to v1.4.0 is not older than v1.4.0, the version of rollout "
                + ID);
        assertFails(CommandRun.run(online(), NOW, "rollout", "rollback", ID.toString(), "--to", "v1.3.2",
                "--sign-key", "missing.key"), 2, "--sign-key: " + dir.resolve("missing.key") + " does not exist");
        assertThat(server.requests()).noneMatch(request -> request.method().equals("POST"));
    }

    @Test
    void aRollbackWithoutAKeySendsNoStatementAsBefore() {
        server.answer("POST", ROLLOUT + "/rollback", 201, RolloutFixtures.running());

        CommandRun.Result result = CommandRun.run(online(), NOW, "rollout", "rollback", ID.toString());

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(server.requests()).singleElement().satisfies(request -> {
            assertThat(request.target()).isEqualTo(ROLLOUT + "/rollback");
            assertThat(ServerConnection.JSON.readTree(request.body()).has("statement")).isFalse();
        });
    }

    @Test
    void resetKeyPostsTheReasonWithTheAdminKeyAndPrintsTheAnswer() {
        server.answer("POST", "/api/v1/devices/" + DEVICE + "/reset-key", 200,
                Map.of("device_uuid", DEVICE, "key_id", ""));

        CommandRun.Result result = CommandRun.run(online(), "device", "reset-key", DEVICE.toUpperCase(),
                "--reason", "SD card replaced");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(server.requests()).singleElement().satisfies(request -> {
            assertThat(request.method()).isEqualTo("POST");
            assertThat(request.target()).isEqualTo("/api/v1/devices/" + DEVICE + "/reset-key");
            assertThat(request.apiKey()).isEqualTo("admin-key");
            assertThat(ServerConnection.JSON.readTree(request.body()).get("reason").asString())
                    .isEqualTo("SD card replaced");
        });
        assertThat(result.out()).contains("reset the key of device " + DEVICE + ": its token is revoked");

        CommandRun.Result json = CommandRun.run(online(), "device", "reset-key", DEVICE, "--json");
        assertThat(ServerConnection.JSON.readTree(json.out()).get("device_uuid").asString()).isEqualTo(DEVICE);
        assertThat(server.requests().get(1).body()).isEqualTo("{}");
    }

    @Test
    void resetKeyRefusalsSayWhatToDo() {
        assertFails(CommandRun.run(online(), "device", "reset-key", "kitchen-pi"), 2,
                "'kitchen-pi' is not a device uuid");
        assertFails(CommandRun.run(online(), "device"), 2, "name a command");
        assertThat(server.requests()).isEmpty();
        String path = "/api/v1/devices/" + DEVICE + "/reset-key";
        server.problem("POST", path, 404, "no device " + DEVICE);
        assertFails(CommandRun.run(online(), "device", "reset-key", DEVICE), 3,
                "the server refused to reset the key of " + DEVICE + " (404): no device " + DEVICE);
        server.problem("POST", path, 401, "unknown key");
        assertFails(CommandRun.run(online(), "device", "reset-key", DEVICE), 4, "the server refused the admin key");
        server.problem("POST", path, 403, "an enrollment key may not do this");
        assertFails(CommandRun.run(online(), "device", "reset-key", DEVICE), 4, "that needs an admin key");
        server.problem("POST", path, 500, "boom");
        assertFails(CommandRun.run(online(), "device", "reset-key", DEVICE), 5, "failed (HTTP 500: boom)");
    }

    /** The SHA-256 of v1.4.0 built from the same files: the build is reproducible, so the upload has the same. */
    private String builtSha256() throws IOException {
        CommandRun.Result built = CommandRun.run(offline, "--output", "built.zip", "v1.4.0", "New wake word",
                "scheduled");
        assertThat(built.exitCode()).as(built.toString()).isZero();
        return Sha256.of(dir.resolve("built.zip"));
    }

    private void acceptUpload(String sha256) {
        UpdateView update = new UpdateView(RolloutFixtures.UPDATE_ID, "v1.4.0", RolloutFixtures.CREATED,
                UpdateType.SCHEDULED, "New wake word", "/api/v1/updates/x/download", sha256, 1000, false, List.of(),
                Map.of(), null);
        server.answer("GET", "/api/v1/updates/?size=1", 200, new UpdatePage(List.of(), 0, 1, 0, 0));
        server.answer("POST", "/api/v1/updates/create", 201, new UpdateCreated(update, 0, null));
    }

    /** The text fields of the upload the stand-in received (the package part left out). */
    private Map<String, String> uploadedFields() {
        String body = server.requests().stream().filter(request -> request.method().equals("POST")).findFirst()
                .orElseThrow().body();
        Map<String, String> fields = new HashMap<>();
        Matcher matcher = Pattern.compile("name=\"([a-z_]+)\"\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
                + "(.*?)\r\n--", Pattern.DOTALL).matcher(body);
        while (matcher.find()) {
            fields.put(matcher.group(1), matcher.group(2));
        }
        return fields;
    }

    private PackagerEnvironment online() {
        Map<String, String> variables = new HashMap<>(settings());
        variables.put("SOURCE_DATE_EPOCH", "1700000000");
        return CommandRun.environment(dir, variables);
    }

    private Map<String, String> settings() {
        return Map.of("OTA_SERVER_URL", server.url(), "OTA_ADMIN_API_KEY", "admin-key");
    }

    private static void assertFails(CommandRun.Result result, int exitCode, String message) {
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(exitCode);
        assertThat(result.err()).as(result.toString()).contains(message);
    }
}
