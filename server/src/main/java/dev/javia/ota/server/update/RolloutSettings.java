package dev.javia.ota.server.update;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * The rollouts' settings ({@code ota.rollouts.*}).
 *
 * @param approverMustDiffer a rollout that requires approval must be approved by an admin key other than the one
 *                           that created it (the four-eyes rule); false lets one operator approve their own
 * @param tickInterval       how often the reconciler judges the running rollouts
 * @param offerBatch         the most devices an action or a tick offers a phase to at once; a larger phase is
 *                           offered by the ticks that follow, batch after batch, and to each of its devices that
 *                           checks before its batch comes at that check
 */
@ConfigurationProperties("ota.rollouts")
record RolloutSettings(
        @DefaultValue("true") boolean approverMustDiffer,
        @DefaultValue("5s") Duration tickInterval,
        @DefaultValue("10000") int offerBatch) {

    RolloutSettings {
        if (offerBatch < 1) {
            throw new IllegalArgumentException("ota.rollouts.offer-batch (OTA_ROLLOUT_OFFER_BATCH) must be at least 1,"
                    + " e.g. 10000, not " + offerBatch);
        }
    }
}
