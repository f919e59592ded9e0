package dev.javia.ota.agent.testing;

import dev.javia.ota.agent.system.Sleeper;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock the test moves; its {@link #sleeper} advances it instead of waiting. {@link #advance} is time passing: the
 * wall clock and {@link #nanoTime} both move. {@link #set} is a step of the wall clock only (NTP correcting a stale
 * boot clock): the monotonic time does not move.
 */
public final class MutableClock extends Clock {

    private volatile Instant now;
    private volatile long nanos = 1_000_000_000L;

    public MutableClock(Instant start) {
        this.now = start;
    }

    public void advance(Duration duration) {
        now = now.plus(duration);
        nanos += duration.toNanos();
    }

    /** The monotonic time, as {@code System.nanoTime}: moved by {@link #advance}, not by {@link #set}. */
    public long nanoTime() {
        return nanos;
    }

    public void set(Instant instant) {
        now = instant;
    }

    public Sleeper sleeper() {
        return this::advance;
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
