package dev.javia.ota.agent.identity;

import dev.javia.ota.protocol.trust.DeviceProof;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The device's own key: made once beside the uuid file, owner-only, then only read; never silently replaced. */
class DeviceKeyTests {

    @Test
    void makesAnOwnerOnlyKeyBesideTheUuidFileAtFirstStartAndReusesItAfterwards(@TempDir Path dir) throws IOException {
        Path uuidFile = dir.resolve("home/.javia_device_uuid");
        Path keyFile = dir.resolve("home/device-key.pem");

        DeviceIdentity first = DeviceIdentity.load(uuidFile, dir.resolve("home/.javia_device_token"));
        String created = Files.readString(keyFile);
        DeviceIdentity second = DeviceIdentity.load(uuidFile, dir.resolve("home/.javia_device_token"));

        assertThat(DeviceIdentity.keyFile(uuidFile)).isEqualTo(keyFile.toAbsolutePath());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        assertThat(created).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
        assertThat(second.key().publicKeyText()).isEqualTo(first.key().publicKeyText()).startsWith("ed25519:");
        assertThat(Files.readString(keyFile)).as("read, not rewritten").isEqualTo(created);
        assertThat(Ed25519Keys.publicKeyOf(Ed25519Keys.privateKey(created))).isEqualTo(first.key().publicKey());
    }

    @Test
    void aDeviceFromBeforeDeviceKeysKeepsItsUuidAndGetsAKey(@TempDir Path home) throws IOException {
        Path uuidFile = Files.writeString(home.resolve(".javia_device_uuid"),
                "0190f7a4-5b6c-7d8e-9f00-112233445566\n");

        DeviceIdentity identity = DeviceIdentity.load(uuidFile, home.resolve(".javia_device_token"));

        assertThat(identity.uuid()).isEqualTo("0190f7a4-5b6c-7d8e-9f00-112233445566");
        assertThat(home.resolve("device-key.pem")).isRegularFile();
    }

    @Test
    void aKeyRestoredFromABackupIsTheOneUsed(@TempDir Path home) throws IOException {
        KeyPair backup = Ed25519Keys.generate();
        Path keyFile = Files.writeString(home.resolve("device-key.pem"), Ed25519Keys.pem(backup.getPrivate()));

        DeviceKey key = DeviceKey.load(keyFile);

        assertThat(key.publicKeyText()).isEqualTo(Ed25519Keys.text(backup.getPublic()));
        String proof = key.prove("0190f7a4-5b6c-7d8e-9f00-112233445566", "challenge-1");
        assertThat(DeviceProof.verify(backup.getPublic(), "0190f7a4-5b6c-7d8e-9f00-112233445566", "challenge-1",
                proof)).isTrue();
        assertThat(DeviceProof.verify(backup.getPublic(), "0190f7a4-5b6c-7d8e-9f00-112233445567", "challenge-1",
                proof)).as("a proof for one uuid is none for another").isFalse();
    }

    @Test
    void aKeyFileThatHoldsSomethingElseStopsTheStartAndIsKept(@TempDir Path home) throws IOException {
        Path uuidFile = home.resolve(".javia_device_uuid");
        Path keyFile = Files.writeString(home.resolve("device-key.pem"), "-----BEGIN PRIVATE KEY-----\nbroken\n");

        assertThatThrownBy(() -> DeviceIdentity.load(uuidFile, home.resolve(".javia_device_token")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(keyFile.toString())
                .hasMessageContaining("restore it from a backup")
                .hasMessageContaining("create_update.sh device reset-key");
        assertThat(Files.readString(keyFile)).isEqualTo("-----BEGIN PRIVATE KEY-----\nbroken\n");
    }

    @Test
    void anEmptyKeyFileStopsTheStartToo(@TempDir Path home) throws IOException {
        Path keyFile = Files.createFile(home.resolve("device-key.pem"));

        assertThatThrownBy(() -> DeviceKey.load(keyFile)).hasMessageContaining("does not hold a device key");
        assertThat(keyFile).isEmptyFile();
    }

    @Test
    void aKeyFileThatCannotBeReadStopsTheStart(@TempDir Path home) throws IOException {
        Path keyFile = Files.createDirectory(home.resolve("device-key.pem"));

        assertThatThrownBy(() -> DeviceKey.load(keyFile)).hasMessageContaining("cannot read the device key")
                .hasMessageContaining(keyFile.toString());
        assertThat(keyFile).isDirectory();
    }
}
