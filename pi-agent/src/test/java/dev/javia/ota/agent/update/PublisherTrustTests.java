package dev.javia.ota.agent.update;

import dev.javia.ota.agent.transport.ServerClient;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.PublisherKeySet;
import dev.javia.ota.protocol.trust.PublisherKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;

import static dev.javia.ota.agent.update.KeyRotationTests.id;
import static dev.javia.ota.agent.update.KeyRotationTests.text;
import static dev.javia.ota.agent.update.SignedPackageTests.keysOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code publisher-keys.json}: which keys are in force at a start, and which sets are taken. */
class PublisherTrustTests {

    final JsonMapper json = new ServerClient(URI.create("http://127.0.0.1:9"), Duration.ofSeconds(1)).json();
    final KeyPair old = Ed25519Keys.generate();
    final KeyPair replacement = Ed25519Keys.generate();

    @Test
    void withoutAFileThePinnedKeysAreInForce(@TempDir Path dir) {
        PublisherTrust trust = PublisherTrust.open(dir, keysOf(old, replacement), json);

        assertThat(trust.serial()).isZero();
        assertThat(trust.keys().ids()).containsExactlyInAnyOrder(id(old), id(replacement));
    }

    @Test
    void onlyAHigherSerialIsTaken(@TempDir Path dir) {
        PublisherTrust trust = PublisherTrust.open(dir, keysOf(old), json);
        assertThat(trust.learn(new PublisherKeySet(5, List.of(text(old), text(replacement))))).isTrue();

        assertThat(trust.learn(new PublisherKeySet(5, List.of(text(replacement))))).as("the same serial").isFalse();
        assertThat(trust.learn(new PublisherKeySet(4, List.of(text(replacement))))).as("a lower one").isFalse();
        assertThat(trust.keys().ids()).containsExactlyInAnyOrder(id(old), id(replacement));
        assertThat(PublisherTrust.open(dir, keysOf(old), json).serial()).isEqualTo(5);
    }

    @Test
    void aMalformedSetIsRefused(@TempDir Path dir) {
        PublisherTrust trust = PublisherTrust.open(dir, keysOf(old), json);

        assertThatThrownBy(() -> trust.learn(new PublisherKeySet(0, List.of(text(old)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("serials start at 1");
        assertThatThrownBy(() -> trust.learn(new PublisherKeySet(2, List.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lists no key");
        assertThat(dir.resolve(PublisherTrust.NAME)).doesNotExist();
    }

    /** No keys pinned: nothing is verified, so nothing may be learnt, and a file left from before is not used. */
    @Test
    void withoutPinnedKeysNothingIsTrustedOrLearnt(@TempDir Path dir) {
        PublisherTrust.open(dir, keysOf(old), json).learn(new PublisherKeySet(2, List.of(text(replacement), text(old))));

        PublisherTrust none = PublisherTrust.open(dir, PublisherKeys.none(), json);

        assertThat(none.keys().isEmpty()).isTrue();
        assertThat(none.learn(new PublisherKeySet(3, List.of(text(replacement))))).isFalse();
    }

    /** Fields are only added: an agent reads the file of a newer one. */
    @Test
    void aFileOfANewerFormatIsRead(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(PublisherTrust.NAME), """
                {"format_version":2,"serial":7,"keys":["%s"],"pinned":["%s"],"threshold":1,"expires_at":"2030-01-01T00:00:00Z"}
                """.formatted(text(replacement), text(old)));

        PublisherTrust trust = PublisherTrust.open(dir, keysOf(old), json);

        assertThat(trust.serial()).isEqualTo(7);
        assertThat(trust.keys().ids()).containsExactly(id(replacement));
    }

    /** Written whole, so only a damaged disk makes one; the configured keys are the operator's word. */
    @Test
    void anUnreadableFileLeavesThePinnedKeysInForce(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(PublisherTrust.NAME), "{\"serial\":");

        PublisherTrust trust = PublisherTrust.open(dir, keysOf(old), json);

        assertThat(trust.serial()).isZero();
        assertThat(trust.keys().ids()).containsExactly(id(old));
        assertThat(trust.learn(new PublisherKeySet(2, List.of(text(replacement))))).as("replaced by the next set")
                .isTrue();
        assertThat(PublisherTrust.open(dir, keysOf(old), json).keys().ids()).containsExactly(id(replacement));
    }
}
