package dev.javia.ota.agent.transport;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class BackoffTests {

    @Test
    void doublesWithJitterUpToTheCapAndStartsAgainAfterASuccess() {
        Backoff backoff = new Backoff(Duration.ofSeconds(5), Duration.ofMinutes(10), new Random(42));

        long[] bounds = {5, 10, 20, 40, 80, 160, 320, 600, 600, 600};
        for (long upper : bounds) {
            Duration delay = backoff.nextDelay();
            assertThat(delay).isBetween(Duration.ofMillis(upper * 500), Duration.ofSeconds(upper));
        }
        backoff.reset();
        assertThat(backoff.nextDelay()).isLessThanOrEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void waitsAtLeastWhatTheServerAskedForButNoLongerThanTheCap() {
        Backoff backoff = new Backoff(Duration.ofSeconds(5), Duration.ofMinutes(10), new Random(42));

        assertThat(backoff.nextDelay(Duration.ofSeconds(120))).isEqualTo(Duration.ofSeconds(120));
        assertThat(backoff.nextDelay(Duration.ofDays(1))).isEqualTo(Duration.ofMinutes(10));
        assertThat(backoff.nextDelay(Duration.ofMillis(1))).as("the backoff's own, third failure")
                .isBetween(Duration.ofSeconds(10), Duration.ofSeconds(20));
        assertThat(backoff.failures()).isEqualTo(3);
    }
}
