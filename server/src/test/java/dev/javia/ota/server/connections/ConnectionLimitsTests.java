package dev.javia.ota.server.connections;

import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConnectionLimitsTests {

    private final ConnectionLimits defaults = new ConnectionLimits(Duration.ofSeconds(10), Duration.ofSeconds(20),
            DataSize.ofKilobytes(16));

    @Test
    void aBodyIsAllowedTheBodyTimeoutPlusASecondForEachMinimumRateOfBytes() {
        assertThat(Duration.ofNanos(defaults.bodyAllowanceNanos(0))).isEqualTo(Duration.ofSeconds(20));
        assertThat(Duration.ofNanos(defaults.bodyAllowanceNanos(16 * 1024))).isEqualTo(Duration.ofSeconds(21));
        // the largest package, at the slowest rate allowed: over nine hours, not cut
        assertThat(Duration.ofNanos(defaults.bodyAllowanceNanos(DataSize.ofMegabytes(512).toBytes())))
                .isEqualTo(Duration.ofSeconds(20 + 512 * 64));
    }

    @Test
    void refusesLimitsThatWouldCloseEveryConnectionWithTheSettingToFix() {
        assertThatThrownBy(() -> new ConnectionLimits(Duration.ZERO, Duration.ofSeconds(20), DataSize.ofKilobytes(16)))
                .hasMessageContaining("OTA_HEADER_TIMEOUT");
        assertThatThrownBy(() -> new ConnectionLimits(Duration.ofSeconds(10), Duration.ofSeconds(-1),
                DataSize.ofKilobytes(16))).hasMessageContaining("OTA_BODY_TIMEOUT");
        assertThatThrownBy(() -> new ConnectionLimits(Duration.ofSeconds(10), Duration.ofSeconds(20), DataSize.ofBytes(0)))
                .hasMessageContaining("OTA_BODY_MIN_RATE");
    }
}
