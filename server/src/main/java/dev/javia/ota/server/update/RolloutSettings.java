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
 */
@ConfigurationProperties("ota.rollouts")
record RolloutSettings(
        @DefaultValue("true") boolean approverMustDiffer,
        @DefaultValue("5s") Duration tickInterval) {
}
