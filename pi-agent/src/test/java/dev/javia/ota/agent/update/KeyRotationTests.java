package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.PublisherKeySet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.List;

import static dev.javia.ota.agent.update.SignedPackageTests.INSTALLED;
import static dev.javia.ota.agent.update.SignedPackageTests.REFUSED_IN_VERIFYING;
import static dev.javia.ota.agent.update.SignedPackageTests.keysOf;
import static dev.javia.ota.protocol.api.UpdateStatus.COMPLETED;
import static dev.javia.ota.protocol.api.UpdateStatus.FAILED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Key rotation through the machine, each install by a new machine on the same disk (the agent restarted): a
 * package signed by the old key names {old, new} and teaches the new one; a package signed by the new key names
 * {new} and retires the old one; an older set never comes back; a changed configuration wins over what was learnt.
 */
class KeyRotationTests {

    final KeyPair old = Ed25519Keys.generate();
    final KeyPair replacement = Ed25519Keys.generate();

    static String text(KeyPair pair) {
        return Ed25519Keys.text(pair.getPublic());
    }

    static String id(KeyPair pair) {
        return Ed25519Keys.keyId(pair.getPublic());
    }

    @Test
    void aNewKeyArrivesSignedByTheOldOneAndTheOldOneIsThenRetired(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(old);
            PublisherKeySet both = new PublisherKeySet(2, List.of(text(old), text(replacement)));
            device.publishSigned("v1.1.0", old.getPrivate(), both, false, null);
            device.runToIdle(device.machine());

            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
            PublisherTrust learnt = trust(device);
            assertThat(learnt.serial()).isEqualTo(2);
            assertThat(learnt.keys().ids()).containsExactlyInAnyOrder(id(old), id(replacement));
            Path file = device.stateDir.resolve(PublisherTrust.NAME);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r--r--");
            PublisherTrust.Stored stored = device.client.json().readValue(file.toFile(), PublisherTrust.Stored.class);
            assertThat(stored.formatVersion()).isEqualTo(PublisherTrust.FORMAT_VERSION);
            assertThat(stored.keys()).containsExactlyElementsOf(keysOf(old, replacement).texts());
            assertThat(stored.pinned()).containsExactly(text(old));

            device.publishSigned("v1.2.0", replacement.getPrivate(),
                    new PublisherKeySet(3, List.of(text(replacement))), false, null);
            device.runToIdle(device.machine());

            assertThat(device.currentTarget()).isEqualTo("releases/v1.2.0");
            assertThat(trust(device).serial()).isEqualTo(3);
            assertThat(trust(device).keys().ids()).containsExactly(id(replacement));

            device.chain.clear();
            device.publishSigned("v1.3.0", old.getPrivate(), null, false, null);
            device.runToIdle(device.machine());

            assertThat(device.chain).as("the retired key signs nothing any more")
                    .containsExactlyElementsOf(REFUSED_IN_VERIFYING);
            assertThat(device.server.reports()).last().satisfies(report -> assertThat(report.errorMessage())
                    .contains("is signed by key '" + id(old) + "', which is not one of the trusted publisher keys"));
            assertThat(device.currentTarget()).isEqualTo("releases/v1.2.0");

            device.chain.clear();
            device.publishSigned("v1.3.0", replacement.getPrivate(), null, false, null);
            device.runToIdle(device.machine());
            assertThat(device.chain).containsExactlyElementsOf(INSTALLED);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.3.0");
        }
    }

    @Test
    void aPackageWithAnOlderKeySetChangesNothing(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(old);
            device.publishSigned("v1.1.0", old.getPrivate(), new PublisherKeySet(2, List.of(text(old),
                    text(replacement))), false, null);
            device.runToIdle(device.machine());
            device.publishSigned("v1.2.0", replacement.getPrivate(), new PublisherKeySet(3, List.of(text(replacement))),
                    false, null);
            device.runToIdle(device.machine());

            // an older package (say, replayed, or rebuilt from an old tag) still lists both keys under serial 2
            device.publishSigned("v1.3.0", replacement.getPrivate(), new PublisherKeySet(2, List.of(text(old),
                    text(replacement))), false, null);
            device.runToIdle(device.machine());

            assertThat(device.currentTarget()).isEqualTo("releases/v1.3.0");
            assertThat(trust(device).serial()).isEqualTo(3);
            assertThat(trust(device).keys().ids()).containsExactly(id(replacement));
        }
    }

    /** The key set is the publisher's word once the signature verified, whatever this device makes of the install. */
    @Test
    void aFailedInstallStillTeachesTheNewKeys(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(old);
            device.runner.answer(List.of("systemctl", "is-active"), CommandResult.exit(3, "failed\n"));
            device.publishSigned("v1.1.0", old.getPrivate(), new PublisherKeySet(2, List.of(text(old),
                    text(replacement))), false, null);
            device.runToIdle(device.machine());

            assertThat(device.server.reportedStatuses()).last().isEqualTo(FAILED);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            assertThat(trust(device).keys().ids()).containsExactlyInAnyOrder(id(old), id(replacement));

            device.runner.answer(List.of("systemctl", "is-active"), CommandResult.ok("active\n"));
            device.publishSigned("v1.1.1", replacement.getPrivate(), null, false, null);
            device.runToIdle(device.machine());
            assertThat(device.server.reportedStatuses()).last().isEqualTo(COMPLETED);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.1");
        }
    }

    /** An operator re-provisions the keys (after a compromise): the configuration wins over what was learnt. */
    @Test
    void changedPinnedKeysDropTheLearntSet(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(old);
            device.publishSigned("v1.1.0", old.getPrivate(), new PublisherKeySet(2, List.of(text(old),
                    text(replacement))), false, null);
            device.runToIdle(device.machine());
            assertThat(trust(device).serial()).isEqualTo(2);

            KeyPair fresh = Ed25519Keys.generate();
            device.pinned = keysOf(fresh);
            assertThat(trust(device).serial()).isZero();
            assertThat(trust(device).keys().ids()).containsExactly(id(fresh));

            device.chain.clear();
            device.publishSigned("v1.2.0", replacement.getPrivate(), null, false, null);
            device.runToIdle(device.machine());
            assertThat(device.chain).as("the learnt key is not trusted any more")
                    .containsExactlyElementsOf(REFUSED_IN_VERIFYING);

            device.publishSigned("v1.2.0", fresh.getPrivate(), new PublisherKeySet(2, List.of(text(fresh))), false,
                    null);
            device.runToIdle(device.machine());
            assertThat(device.currentTarget()).isEqualTo("releases/v1.2.0");
            PublisherTrust.Stored stored = device.client.json().readValue(
                    device.stateDir.resolve(PublisherTrust.NAME).toFile(), PublisherTrust.Stored.class);
            assertThat(stored.pinned()).as("replaced on the next set, under the new configuration")
                    .containsExactly(text(fresh));
            assertThat(trust(device).serial()).isEqualTo(2);
        }
    }

    /**
     * A set that leaves out the key that signed its package is refused: once learnt, the device would refuse this
     * very package when it extracts it (or resumes in verifying).
     */
    @Test
    void aKeySetWithoutItsSignerIsRefused(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = keysOf(old);
            device.publishSigned("v1.1.0", old.getPrivate(), new PublisherKeySet(2, List.of(text(replacement))),
                    false, null);
            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(REFUSED_IN_VERIFYING);
            assertThat(device.server.reports()).last().satisfies(report -> assertThat(report.errorMessage())
                    .contains("its publisher_keys (serial 2) does not list that key"));
            assertThat(trust(device).serial()).isZero();
            assertThat(device.stateDir.resolve(PublisherTrust.NAME)).doesNotExist();
        }
    }

    /** What the agent trusts at its next start. */
    private static PublisherTrust trust(DeviceFixture device) {
        return PublisherTrust.open(device.stateDir, device.pinned, device.client.json());
    }
}
