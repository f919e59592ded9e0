package dev.javia.ota.server.notify;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * The webhook settings ({@code ota.webhooks.*}; the job's own interval is {@code ota.webhooks.delivery-interval},
 * read by the server's timers).
 *
 * @param allowPrivateAddresses whether a webhook may point at a loopback, private or link-local address (a receiver
 *                              on the server's own network); off, so that an admin key cannot make the server probe
 *                              its network or a cloud metadata address
 * @param connectTimeout        how long a delivery waits for the receiver's connection
 * @param requestTimeout        how long one delivery may take in all, connection and answer included
 * @param tickBudget            how long one run of the job may spend delivering, so that a run ends
 * @param giveUpAfter           how old a delivery becomes before the server stops retrying it and marks it failed
 * @param firstRetry            the wait after the first failed attempt; it doubles after each one
 * @param maxRetry              the longest wait between two attempts
 * @param maxResponseSize       how much of a receiver's answer is read (the rest is not): only its status counts
 */
@ConfigurationProperties("ota.webhooks")
public record WebhookSettings(
        @DefaultValue("false") boolean allowPrivateAddresses,
        @DefaultValue("3s") Duration connectTimeout,
        @DefaultValue("10s") Duration requestTimeout,
        @DefaultValue("30s") Duration tickBudget,
        @DefaultValue("24h") Duration giveUpAfter,
        @DefaultValue("30s") Duration firstRetry,
        @DefaultValue("1h") Duration maxRetry,
        @DefaultValue("16KB") DataSize maxResponseSize) {

    public WebhookSettings {
        for (Duration d : new Duration[] {connectTimeout, requestTimeout, tickBudget, giveUpAfter, firstRetry,
                maxRetry}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("the ota.webhooks durations must be positive, e.g. 10s");
            }
        }
        if (tickBudget.compareTo(requestTimeout) < 0) {
            throw new IllegalArgumentException("ota.webhooks.tick-budget (" + tickBudget + ") must be at least"
                    + " ota.webhooks.request-timeout (" + requestTimeout + "), or no delivery fits in a run");
        }
    }
}
