package dev.javia.ota.server.security;

import dev.javia.ota.server.OtaProperties;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CredentialsCheckTests {

    private static final String STRONG_ADMIN = "f3a9c1d7e5b2049a8c6e1f3d5b7a9c0e";
    private static final String STRONG_ENROLLMENT = "0b8d6f4a2c9e7135d3f1a8c6e4b2d097";

    @Test
    void strongDistinctKeysStart() {
        assertThatCode(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN), STRONG_ENROLLMENT)))
                .doesNotThrowAnyException();
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
                .hasMessageContaining("OTA_ADMIN_API_KEY is too short");
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN),
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))).hasMessageContaining("placeholder");
    }

    @Test
    void theEnrollmentKeyMustNotBeAnAdminKey() {
        assertThatThrownBy(() -> CredentialsCheck.verify(properties(List.of(STRONG_ADMIN), STRONG_ADMIN)))
                .hasMessageContaining("must differ");
    }

    private static OtaProperties properties(List<String> adminKeys, String enrollmentKey) {
        return new OtaProperties(adminKeys, enrollmentKey, Path.of("/tmp"), DataSize.ofMegabytes(512), DataSize.ofKilobytes(64),
                Duration.ofMinutes(5), Duration.ofMinutes(5), 3, 2, Duration.ofHours(3),
                true, Duration.ofSeconds(1), 1000, Duration.ofMinutes(10));
    }
}
