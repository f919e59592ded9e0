package dev.javia.ota.server.update;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RolloutSettingsTests {

    @Test
    void anOfferBatchBelowOneIsRefusedWithTheVariableToSet() {
        assertThatThrownBy(() -> new RolloutSettings(true, Duration.ofSeconds(5), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("OTA_ROLLOUT_OFFER_BATCH").hasMessageContaining("at least 1");
        assertThat(new RolloutSettings(true, Duration.ofSeconds(5), 1).offerBatch()).isEqualTo(1);
    }
}
