package dev.javia.ota.packager;

import dev.javia.ota.protocol.pkg.InvalidPackageException;
import dev.javia.ota.protocol.pkg.PackageInspector;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageSignatures;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.UpdateMetadata;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.PublisherSignature;
import dev.javia.ota.protocol.trust.SignaturePurpose;
import dev.javia.ota.protocol.trust.UntrustedException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The publisher's key pair, signed builds, signing a package built before, and the key sets that rotate keys: real
 * files, checked with the same verification the server and the agent run.
 */
class SigningTests {

    @TempDir
    Path dir;

    private PackagerEnvironment environment;

    @BeforeEach
    void writeSource() throws IOException {
        CommandRun.writeSource(dir);
        environment = CommandRun.environment(dir, Map.of("SOURCE_DATE_EPOCH", "1700000000"));
    }

    @Test
    void keygenWritesAPrivateKeyOnlyTheOwnerReadsAndItsPublicLine() throws IOException {
        CommandRun.Result result = CommandRun.run(environment, "keygen", "--out", "keys");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        Path privateFile = dir.resolve("keys/publisher.key");
        Path publicFile = dir.resolve("keys/publisher.pub");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(privateFile))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(publicFile))).isEqualTo("rw-r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keys"))))
                .isEqualTo("rwx------");
        String pem = Files.readString(privateFile);
        assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
        PrivateKey privateKey = Ed25519Keys.privateKey(pem);
        String publicLine = Files.readString(publicFile).strip();
        PublicKey publicKey = Ed25519Keys.publicKey(publicLine);
        assertThat(Ed25519Keys.text(Ed25519Keys.publicKeyOf(privateKey))).isEqualTo(publicLine);
        assertThat(result.out()).contains("made publisher key " + Ed25519Keys.keyId(publicKey), publicLine,
                "OTA_PUBLISHER_KEYS", "the agent's .env", "--sign-key " + privateFile, "offline");
    }

    @Test
    void keygenNeverOverwritesEitherFile() throws IOException {
        assertThat(CommandRun.run(environment, "keygen", "--name", "fleet").exitCode()).isZero();
        byte[] key = Files.readAllBytes(dir.resolve("fleet.key"));

        CommandRun.Result again = CommandRun.run(environment, "keygen", "--name", "fleet");
        assertFails(again, 2, dir.resolve("fleet.key") + " already exists and is never overwritten");
        assertThat(Files.readAllBytes(dir.resolve("fleet.key"))).isEqualTo(key);

        // a .pub alone (say, copied from the server) still stops it, and no .key is left behind
        Files.writeString(dir.resolve("other.pub"), "ed25519:...\n");
        assertFails(CommandRun.run(environment, "keygen", "--name", "other"), 2, "other.pub already exists");
        assertThat(dir.resolve("other.key")).doesNotExist();
    }

    @Test
    void keygenRefusesANameThatIsAPath() {
        assertFails(CommandRun.run(environment, "keygen", "--name", "../publisher"), 2,
                "--name '../publisher' is not a plain file name");
        assertThat(dir.getParent().resolve("publisher.key")).doesNotExist();
    }

    @Test
    void aSignedBuildWritesASigThatThePublisherKeysVerify() throws IOException {
        Keys keys = keygen("publisher");

        CommandRun.Result result = CommandRun.run(environment, "--output", "dist/", "--sign-key", "publisher.key",
                "v1.2.3", "Bug fixes", "scheduled");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        Path zip = dir.resolve("dist/update_v1.2.3.zip");
        Path sig = dir.resolve("dist/update_v1.2.3.zip.sig");
        assertThat(result.out()).contains("  signed   by " + keys.id() + " (" + sig + ")");
        assertThat(result.err()).contains("signing with publisher key " + keys.id());
        PublisherSignature signature = ServerConnection.JSON.readValue(Files.readString(sig),
                PublisherSignature.class);
        assertThat(signature.keyId()).isEqualTo(keys.id());
        PublisherKeys trusted = PublisherKeys.parse(List.of(keys.publicLine()));
        assertThat(trusted.verify(SignaturePurpose.PACKAGE, PackageTrust.signedContent(
                PackageSignatures.metadataSha256(zip, PackageLimits.defaults())), signature, "package v1.2.3"))
                .isEqualTo(keys.id());
        assertThat(PackageInspector.inspect(zip, PackageLimits.defaults(), PackageTrust.of(trusted, signature,
                "package v1.2.3")).version()).isEqualTo("v1.2.3");
        // the ZIP itself is what today's agents accept: the signature lives beside it
        try (ZipFile file = new ZipFile(zip.toFile())) {
            assertThat(Collections.list(file.entries()).stream().map(ZipEntry::getName)
                    .map(name -> name.contains("/") ? name.substring(0, name.indexOf('/') + 1) : name).distinct())
                    .containsExactlyInAnyOrder("pi_client/", "update_metadata.json");
        }
        // another publisher's key does not verify it
        Keys stranger = keygen("stranger");
        assertThatThrownBy(() -> PublisherKeys.parse(List.of(stranger.publicLine())).verify(SignaturePurpose.PACKAGE,
                PackageTrust.signedContent(PackageSignatures.metadataSha256(zip, PackageLimits.defaults())),
                signature, "package v1.2.3")).isInstanceOf(UntrustedException.class);
    }

    @Test
    void theSigningKeyComesFromTheEnvironmentOrTheConfigFile() throws IOException {
        Keys keys = keygen("publisher");
        PackagerEnvironment fromVariable = CommandRun.environment(dir, Map.of("OTA_SIGN_KEY", "publisher.key"));
        CommandRun.Result viaVariable = CommandRun.run(fromVariable, "--output", "a.zip", "v1.2.3", "Bug fixes",
                "scheduled");
        assertThat(viaVariable.exitCode()).as(viaVariable.toString()).isZero();
        assertThat(signatureOf(dir.resolve("a.zip")).keyId()).isEqualTo(keys.id());

        Files.createDirectories(dir.resolve("home/keys"));
        Files.move(dir.resolve("publisher.key"), dir.resolve("home/keys/publisher.key"));
        Path config = Files.writeString(dir.resolve("packager.properties"), "sign_key=~/keys/publisher.key\n");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        CommandRun.Result viaConfig = CommandRun.run(environment, "--config", "packager.properties", "--output",
                "b.zip", "v1.2.3", "Bug fixes", "scheduled");
        assertThat(viaConfig.exitCode()).as(viaConfig.toString()).isZero();
        assertThat(signatureOf(dir.resolve("b.zip")).keyId()).isEqualTo(keys.id());
    }

    @Test
    void aKeyFileOthersCanReadIsRefusedBeforeAnythingIsBuilt() throws IOException {
        keygen("publisher");
        Files.setPosixFilePermissions(dir.resolve("publisher.key"), PosixFilePermissions.fromString("rw-r--r--"));

        assertFails(CommandRun.run(environment, "--output", "dist/", "--sign-key", "publisher.key", "v1.2.3",
                "Bug fixes", "scheduled"), 2, "is open to other users (mode rw-r--r--)",
                "chmod 600 " + dir.resolve("publisher.key"));
        assertThat(dir.resolve("dist")).doesNotExist();
    }

    @Test
    void aKeyFileThatIsNoKeyIsRefusedBeforeAnythingIsBuilt() throws IOException {
        keygen("publisher");
        Path garbage = Files.writeString(dir.resolve("garbage.key"), "not a key\n");
        Files.setPosixFilePermissions(garbage, PosixFilePermissions.fromString("rw-------"));

        assertFails(build("--sign-key", "garbage.key"), 2, "--sign-key: " + garbage
                + " is not an Ed25519 private key in PEM");
        assertFails(build("--sign-key", "missing.key"), 2, "does not exist: make a key pair with create_update.sh "
                + "keygen");
        assertFails(build("--sign-key", "publisher.pub"), 2, "is a public key (.pub); signing needs the private "
                + "key");
        assertFails(build("--sign-key", "pi_client"), 2, "is not a file");
        assertThat(dir.resolve("dist")).doesNotExist();
    }

    @Test
    void anUnsignedBuildRemovesTheSigOfAnEarlierBuild() throws IOException {
        keygen("publisher");
        assertThat(build("--sign-key", "publisher.key").exitCode()).isZero();
        Path sig = dir.resolve("dist/update_v1.2.3.zip.sig");
        assertThat(sig).exists();

        CommandRun.Result unsigned = build();

        assertThat(unsigned.exitCode()).as(unsigned.toString()).isZero();
        assertThat(sig).doesNotExist();
        assertThat(unsigned.err()).contains("removed " + sig + ": it signed an earlier build");
    }

    @Test
    void signSignsAPackageBuiltBefore() throws IOException {
        Keys keys = keygen("publisher");
        assertThat(build().exitCode()).isZero();
        Path zip = dir.resolve("dist/update_v1.2.3.zip");
        byte[] before = Files.readAllBytes(zip);

        CommandRun.Result result = CommandRun.run(environment, "sign", "dist/update_v1.2.3.zip", "--sign-key",
                "publisher.key");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("signed update_v1.2.3.zip (v1.2.3) with publisher key " + keys.id(),
                "  signature  " + zip + ".sig", "create_update --package " + zip);
        assertThat(Files.readAllBytes(zip)).as("the package is not touched").isEqualTo(before);
        PublisherSignature signature = signatureOf(zip);
        PackageInspector.inspect(zip, PackageLimits.defaults(), PackageTrust.of(PublisherKeys.parse(
                List.of(keys.publicLine())), signature, "package v1.2.3"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(zip + ".sig"))))
                .isEqualTo("rw-r--r--");
    }

    @Test
    void signRefusesWithoutAKeyAndAFileThatIsNoPackage() throws IOException {
        keygen("publisher");
        assertThat(build().exitCode()).isZero();
        assertFails(CommandRun.run(environment, "sign", "dist/update_v1.2.3.zip"), 2, "sign needs a key: "
                + "--sign-key FILE");
        Files.writeString(dir.resolve("dist/broken.zip"), "not a zip");
        assertFails(CommandRun.run(environment, "sign", "dist/broken.zip", "--sign-key", "publisher.key"), 2,
                "is not a package the server and the devices accept, so it is not signed");
        assertThat(dir.resolve("dist/broken.zip.sig")).doesNotExist();
        assertFails(CommandRun.run(environment, "sign", "dist/none.zip", "--sign-key", "publisher.key"), 2,
                "is not a file");
        assertThat(dir.resolve("dist/update_v1.2.3.zip.sig")).doesNotExist();
    }

    @Test
    void publisherKeysEmbedTheKeySetInTheSignedMetadata() throws IOException {
        Keys old = keygen("old");
        Keys next = keygen("next");

        CommandRun.Result result = build("--sign-key", "old.key", "--publisher-keys", "old.pub,next.pub",
                "--key-serial", "2");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        Path zip = dir.resolve("dist/update_v1.2.3.zip");
        UpdateMetadata metadata = PackageInspector.inspect(zip, PackageLimits.defaults(), PackageTrust.of(
                PublisherKeys.parse(List.of(old.publicLine())), signatureOf(zip), "package v1.2.3"));
        assertThat(metadata.publisherKeys().serial()).isEqualTo(2);
        assertThat(metadata.publisherKeys().keys()).containsExactlyElementsOf(
                List.of(old.publicLine(), next.publicLine()).stream().sorted().toList());
        assertThat(metadata.publisherKeys().parsed().ids()).containsExactlyInAnyOrder(old.id(), next.id());
        assertThat(result.err()).contains("devices that install this package will trust the key set serial 2")
                .doesNotContain("warning");
    }

    /** Agents refuse a package whose own key set does not trust its signer (KeyRotationTests): so does the build. */
    @Test
    void aKeySetThatLeavesOutTheSigningKeyIsRefused() throws IOException {
        Keys old = keygen("old");
        keygen("next");

        assertFails(build("--sign-key", "old.key", "--publisher-keys", "next.pub", "--key-serial", "3"), 2,
                ") leaves out the signing key " + old.id() + ", and agents refuse");
    }

    @Test
    void aKeySetIsRefusedWithoutItsSerialItsSignatureOrWithABadFile() throws IOException {
        keygen("old");
        keygen("next");
        assertFails(build("--sign-key", "old.key", "--publisher-keys", "next.pub"), 2,
                "--publisher-keys needs --key-serial N");
        assertFails(build("--sign-key", "old.key", "--key-serial", "2"), 2, "--key-serial needs --publisher-keys");
        assertFails(build("--sign-key", "old.key", "--publisher-keys", "next.pub", "--key-serial", "0"), 2,
                "--key-serial must be 1 or more, not 0");
        assertFails(build("--publisher-keys", "next.pub", "--key-serial", "2"), 2,
                "--publisher-keys needs a signing key (--sign-key FILE or OTA_SIGN_KEY): agents take a key set "
                        + "only from a package whose signature they verified");
        assertFails(build("--sign-key", "old.key", "--publisher-keys", "next.key", "--key-serial", "2"), 2,
                "this is a private key: never hand it out; give its .pub file");
        assertFails(build("--sign-key", "old.key", "--publisher-keys", "gone.pub", "--key-serial", "2"), 2,
                "--publisher-keys: cannot read " + dir.resolve("gone.pub"));
        Files.writeString(dir.resolve("bad.pub"), "ed25519:AAAA\n");
        assertFails(build("--sign-key", "old.key", "--publisher-keys", "bad.pub", "--key-serial", "2"), 2,
                "--publisher-keys: " + dir.resolve("bad.pub") + ": public key 'ed25519:AAAA' holds 3 bytes");
        assertThat(dir.resolve("dist")).doesNotExist();
    }

    @Test
    void aDescriptionThatIsACommandsNameIsStillADescription() {
        CommandRun.Result result = CommandRun.run(environment, "--output", "dist/", "v1.2.3", "sign", "scheduled");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(PackageInspector.inspect(dir.resolve("dist/update_v1.2.3.zip"), PackageLimits.defaults())
                .description()).isEqualTo("sign");
    }

    @Test
    void helpOfEachPublisherCommandSaysWhatItDoes() {
        CommandRun.Result main = CommandRun.run(environment, "--help");
        assertThat(main.out()).contains("--sign-key=FILE", "--publisher-keys=FILE,...", "--key-serial=N",
                "--package=ZIP", "keygen", "sign", "rollout", "device", "OTA_SIGN_KEY");
        CommandRun.Result keygen = CommandRun.run(environment, "keygen", "--help");
        assertThat(keygen.out()).contains("--out=DIR", "--name=NAME", "publisher", "0600", "OTA_PUBLISHER_KEYS");
        CommandRun.Result sign = CommandRun.run(environment, "sign", "--help");
        assertThat(sign.out()).contains("ZIP", "--sign-key=FILE", "create_update --package");
        CommandRun.Result rollback = CommandRun.run(environment, "rollout", "rollback", "--help");
        assertThat(rollback.out()).contains("create_update rollout rollback", "--to=VERSION", "--sign-key=FILE", "--reason=TEXT", "statement");
        CommandRun.Result reset = CommandRun.run(environment, "device", "reset-key", "--help");
        assertThat(reset.out()).contains("create_update device reset-key", "UUID", "--reason=TEXT", "enrollment key", "device.key_reset");
        for (CommandRun.Result result : List.of(main, keygen, sign, rollback, reset)) {
            assertThat(result.exitCode()).as(result.toString()).isZero();
            assertThat(result.out().lines()).allMatch(line -> line.length() <= 100);
        }
    }

    private CommandRun.Result build(String... options) {
        List<String> args = new java.util.ArrayList<>(List.of(options));
        args.addAll(List.of("--output", "dist/", "v1.2.3", "Bug fixes", "scheduled"));
        return CommandRun.run(environment, args.toArray(String[]::new));
    }

    private Keys keygen(String name) throws IOException {
        CommandRun.Result result = CommandRun.run(environment, "keygen", "--name", name);
        assertThat(result.exitCode()).as(result.toString()).isZero();
        String line = Files.readString(dir.resolve(name + ".pub"), StandardCharsets.US_ASCII).strip();
        return new Keys(line, Ed25519Keys.keyId(Ed25519Keys.publicKey(line)));
    }

    private static PublisherSignature signatureOf(Path zip) throws IOException {
        return ServerConnection.JSON.readValue(Files.readString(Path.of(zip + ".sig")), PublisherSignature.class);
    }

    private static void assertFails(CommandRun.Result result, int exitCode, String... messages) {
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(exitCode);
        assertThat(result.err()).as(result.toString()).contains(messages);
    }

    record Keys(String publicLine, String id) {
    }
}
