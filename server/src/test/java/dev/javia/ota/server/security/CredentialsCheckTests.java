package dev.javia.ota.server.security;

import dev.javia.ota.server.OtaProperties;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CredentialsCheckTests {

    private static final String STRONG_ADMIN = "f3a9c1d7e5b2049a8c6e1f3d5b7a9c0e";
    private static final String STRONG_ENROLLMENT = "0b8d6f4a2c9e7135d3f1a8c6e4b2d097";
    private static final String STRONG_OTHER = "7c1e9a3f5d2b8046e1a9c3f7d5b2e804";
    private static final String STRONG_THIRD = "e4b7d1a9c3f5028b6d4e1a7c9f3b5d20";

    @Test
    void strongDistinctKeysStart() {
        assertThatCode(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN), STRONG_ENROLLMENT)))
                .doesNotThrowAnyException();
    }

    @Test
    void aStrongMetricsKeyAndAddressBlocksAreAccepted() {
        assertThatCode(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN), STRONG_ENROLLMENT),
                new MetricsSettings(STRONG_OTHER, List.of("10.0.0.0/8", "192.168.1.20", "fd00::/8"), null)))
                .doesNotThrowAnyException();
    }

    @Test
    void aWeakMetricsKeyIsRefusedLikeTheOthers() {
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN), STRONG_ENROLLMENT),
                new MetricsSettings("prometheus-key", List.of(), null)))
                .hasMessageContaining("OTA_METRICS_KEY is too short");
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN), STRONG_ENROLLMENT),
                new MetricsSettings("metrics-metrics-metrics-metrics", List.of(), null)))
                .hasMessageContaining("OTA_METRICS_KEY is one short piece repeated");
    }

    @Test
    void theMetricsKeyMustDifferFromTheAdminAndEnrollmentKeys() {
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN), STRONG_ENROLLMENT),
                new MetricsSettings(STRONG_ADMIN, List.of(), null)))
                .hasMessageContaining("OTA_METRICS_KEY must differ");
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN), STRONG_ENROLLMENT),
                new MetricsSettings(STRONG_ENROLLMENT, List.of(), null)))
                .hasMessageContaining("OTA_METRICS_KEY must differ");
    }

    @Test
    void anAllowedAddressThatIsNotAnAddressOrBlockIsRefused() {
        for (String entry : List.of("prometheus.internal", "10.0.0.0/33", "10.0.0.0/", "::1/129", "10.0.0.0/8x")) {
            assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN), STRONG_ENROLLMENT),
                    new MetricsSettings(null, List.of(entry), null)))
                    .as(entry).hasMessageContaining("OTA_METRICS_ALLOW_FROM entry '" + entry + "'");
        }
    }

    @Test
    void addressBlocksMatchTheirLeadingBits() throws Exception {
        MetricsSettings.Block block = MetricsSettings.Block.parse("10.1.0.0/17");
        assertThat(block.contains(java.net.InetAddress.getByName("10.1.127.255").getAddress())).isTrue();
        assertThat(block.contains(java.net.InetAddress.getByName("10.1.128.0").getAddress())).isFalse();
        assertThat(block.contains(java.net.InetAddress.getByName("::1").getAddress())).isFalse();
        assertThat(MetricsSettings.Block.parse("::1").contains(java.net.InetAddress.getByName("::1").getAddress()))
                .isTrue();
        assertThat(MetricsSettings.Block.parse("0.0.0.0/0").contains(java.net.InetAddress.getByName("8.8.8.8")
                .getAddress())).isTrue();
    }

    @Test
    void aMissingAdminKeySaysWhatToSet() {
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(), STRONG_ENROLLMENT)))
                .hasMessageContaining("OTA_ADMIN_API_KEY is not set").hasMessageContaining("openssl rand -hex 32");
    }

    @Test
    void aMissingEnrollmentKeySaysWhatToSet() {
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN), "")))
                .hasMessageContaining("OTA_ENROLLMENT_KEY is not set");
    }

    @Test
    void shortAndPlaceholderKeysAreRefused() {
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of("admin123"), STRONG_ENROLLMENT)))
                .hasMessageContaining("OTA_ADMIN_API_KEY named 'admin' is too short");
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN),
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))).hasMessageContaining("placeholder");
    }

    /** Issue 14: {@code changeme-changeme-changeme} passed the length and variety checks. */
    @Test
    void aShortPieceRepeatedIsRefusedWithOrWithoutSeparators() {
        for (String repeated : List.of("changeme-changeme-changeme", "changemechangemechangeme",
                "ChangeMe_CHANGEME.changeme", "abcdefghabcdefghabcdefgh", "abcdefgh-abcdefgh-abcdefgh-abcd",
                "0123456789-0123456789-01234", "s3cr3t-K3y!s3cr3t-K3y!s3cr3t-K3y!", "qwertyuiop qwertyuiop qwertyuiop")) {
            assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN), repeated)))
                    .as(repeated).hasMessageContaining("OTA_ENROLLMENT_KEY ").hasMessageContaining("use a random key");
            assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of("alice:" + repeated),
                    STRONG_ENROLLMENT))).as(repeated).hasMessageContaining("OTA_ADMIN_API_KEY named 'alice' ")
                    .hasMessageContaining("use a random key");
            assertThat(CredentialsCheck.repeats(repeated)).as(repeated).isTrue();
        }
        // the one accepted before: long enough, and with its '-' eight different characters
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN),
                "changeme-changeme-changeme"))).hasMessageContaining("OTA_ENROLLMENT_KEY is one short piece repeated");
    }

    @Test
    void randomKeysAreNotRepeats() {
        java.security.SecureRandom random = new java.security.SecureRandom();
        for (int i = 0; i < 2_000; i++) {
            byte[] bytes = new byte[16 + random.nextInt(32)];
            random.nextBytes(bytes);
            String hex = java.util.HexFormat.of().formatHex(bytes);
            String base64 = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            assertThat(CredentialsCheck.repeats(hex)).as(hex).isFalse();
            assertThat(CredentialsCheck.repeats(base64)).as(base64).isFalse();
        }
        // a key that merely contains a repeat, or words with separators, is not one piece over again
        for (String fine : List.of(STRONG_ADMIN, STRONG_ENROLLMENT, "test-admin-key-3f9c2a7b5d1e8f40",
                "changeme-changeme-" + STRONG_OTHER, "correct-horse-battery-staple-42")) {
            assertThat(CredentialsCheck.repeats(fine)).as(fine).isFalse();
        }
        assertThatCode(() -> CredentialsCheck.verify(properties(List.of("alice:" + STRONG_ADMIN),
                "correct-horse-battery-staple-42"))).doesNotThrowAnyException();
    }

    @Test
    void theEnrollmentKeyMustNotBeAnAdminKey() {
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN), STRONG_ADMIN)))
                .hasMessageContaining("must differ");
    }

    @Test
    void namedAndPlainAdminKeysStartTogether() {
        assertThatCode(() -> CredentialsCheck.verify(properties(List.of("alice:" + STRONG_ADMIN,
                " ci.bot-2 : " + STRONG_OTHER, STRONG_THIRD), STRONG_ENROLLMENT))).doesNotThrowAnyException();
    }

    @Test
    void aNameThatIsNotValidIsRefusedWithoutQuotingIt() {
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of("Alice Smith:" + STRONG_ADMIN),
                STRONG_ENROLLMENT)))
                .hasMessageContaining("OTA_ADMIN_API_KEY entry 1 has a name (the text before its first ':') that is"
                        + " not 1 to 32 of a-z, 0-9").hasMessageContaining("alice:KEY")
                .hasMessageNotContaining("Alice Smith");
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(":" + STRONG_ADMIN), STRONG_ENROLLMENT)))
                .hasMessageContaining("entry 1 has a name");
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of("a".repeat(33) + ":" + STRONG_ADMIN),
                STRONG_ENROLLMENT))).hasMessageContaining("entry 1 has a name");
    }

    @Test
    void theServersOwnNamesAreReserved() {
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of("system:" + STRONG_ADMIN),
                STRONG_ENROLLMENT))).hasMessageContaining("entry 1 is named 'system', which the server keeps for its"
                        + " own actions in the audit log: choose another name");
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN, "enrollment:"
                + STRONG_OTHER), STRONG_ENROLLMENT))).hasMessageContaining("entry 2 is named 'enrollment'");
    }

    @Test
    void twoKeysOfOneNameAreRefusedIncludingAPositionalOne() {
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of("alice:" + STRONG_ADMIN,
                "alice:" + STRONG_OTHER), STRONG_ENROLLMENT)))
                .hasMessageContaining("OTA_ADMIN_API_KEY names two keys 'alice': give each key its own name");
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of("admin-2:" + STRONG_ADMIN,
                STRONG_OTHER), STRONG_ENROLLMENT)))
                .hasMessageContaining("names two keys 'admin-2' (a key given alone is named by its position");
    }

    @Test
    void oneKeyUnderTwoNamesIsRefused() {
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of("alice:" + STRONG_ADMIN,
                "bob:" + STRONG_ADMIN), STRONG_ENROLLMENT)))
                .hasMessageContaining("OTA_ADMIN_API_KEY entry 2 holds the key of an earlier entry");
    }

    @Test
    void theWeakKeyChecksApplyToTheKeyAfterItsName() {
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of("a-rather-long-name-for-a-key:short"),
                STRONG_ENROLLMENT))).hasMessageContaining("the OTA_ADMIN_API_KEY named 'a-rather-long-name-for-a-key'"
                        + " is too short (5 characters)");
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of("ci:changeme"), STRONG_ENROLLMENT)))
                .hasMessageContaining("named 'ci' is too short");
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of("ci:" + STRONG_ENROLLMENT),
                STRONG_ENROLLMENT))).hasMessageContaining("OTA_ENROLLMENT_KEY must differ");
    }

    private static OtaProperties properties(List<String> adminKeys, String enrollmentKey) {
        return new OtaProperties(adminKeys, enrollmentKey, Path.of("/tmp"), DataSize.ofMegabytes(512), DataSize.ofKilobytes(64),
                Duration.ofMinutes(5), Duration.ofMinutes(5), 3, 2, Duration.ofHours(3),
                true, Duration.ofSeconds(1), 1000, Duration.ofMinutes(10));
    }
}
