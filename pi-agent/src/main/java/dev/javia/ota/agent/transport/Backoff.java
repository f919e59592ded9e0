package dev.javia.ota.agent.transport;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter: the n-th consecutive failure waits between half and all of
 * {@code min(max, base * 2^n)}, so a fleet that lost its server does not come back in one wave.
 */
public final class Backoff {

    private final Duration base;
    private final Duration max;
    private final RandomGenerator random;
    private int failures;

    public Backoff(Duration base, Duration max, RandomGenerator random) {
        this.base = base;
        this.max = max;
        this.random = random;
    }

    /** Counts one more failure and says how long to wait before the next attempt. */
    public Duration nextDelay() {
        long cap = max.toMillis();
        long delay = Math.min(cap, base.toMillis() << Math.min(failures, 30));
        failures++;
        long half = delay / 2;
        return Duration.ofMillis(half + (half > 0 ? random.nextLong(half + 1) : 0));
    }

    /**
     * As {@link #nextDelay()}, but not shorter than what the server asked for ({@code Retry-After}), itself
     * bounded by the maximum: a server cannot keep a device away for longer than its own backoff would.
     */
    public Duration nextDelay(Duration serverAsked) {
        Duration own = nextDelay();
        Duration asked = serverAsked.compareTo(max) > 0 ? max : serverAsked;
        return asked.compareTo(own) > 0 ? asked : own;
    }

    public void reset() {
        failures = 0;
    }

    public int failures() {
        return failures;
    }
}
