package dev.javia.ota.agent.activity;

import dev.javia.ota.agent.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class ActivityTrackerTests {

    private final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final ActivityTracker tracker = new ActivityTracker(clock::nanoTime, Duration.ofMinutes(30));

    @Test
    void countsIdleTimeFromTheAgentsStart() {
        clock.advance(Duration.ofMinutes(7));

        assertThat(tracker.idleFor()).isEqualTo(Duration.ofMinutes(7));
    }

    @Test
    void aWallClockStepForwardOrBackDoesNotChangeIdleTime() {
        clock.advance(Duration.ofMinutes(10));

        clock.set(clock.instant().plus(Duration.ofHours(3))); // NTP corrects a stale boot clock forward
        assertThat(tracker.idleFor()).as("after a step forward").isEqualTo(Duration.ofMinutes(10));

        clock.advance(Duration.ofMinutes(5));
        clock.set(clock.instant().minus(Duration.ofHours(5))); // and back
        assertThat(tracker.idleFor()).as("after a step back").isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void anEventResetsIdleness() {
        clock.advance(Duration.ofMinutes(50));
        tracker.activity("button");
        clock.advance(Duration.ofMinutes(3));

        assertThat(tracker.idleFor()).isEqualTo(Duration.ofMinutes(3));
        assertThat(tracker.lastSource()).isEqualTo("button");
    }

    @Test
    void anOpenSessionKeepsTheDeviceBusyUntilItEnds() {
        tracker.sessionStarted("app session");
        clock.advance(Duration.ofMinutes(20));
        assertThat(tracker.idleFor()).isZero();
        assertThat(tracker.busyWith()).contains("app session");

        tracker.sessionEnded("app session");
        clock.advance(Duration.ofMinutes(2));

        assertThat(tracker.idleFor()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void aSessionNobodyEndsLapsesAfterTheTimeout() {
        tracker.sessionStarted("app session");
        clock.advance(Duration.ofMinutes(45));

        assertThat(tracker.idleFor()).isEqualTo(Duration.ofMinutes(15));
        assertThat(tracker.inSession("app session")).isFalse();
    }

    @Test
    void renewingASessionKeepsItOpen() {
        tracker.sessionStarted("alsa");
        clock.advance(Duration.ofMinutes(25));
        tracker.sessionStarted("alsa");
        clock.advance(Duration.ofMinutes(25));

        assertThat(tracker.idleFor()).isZero();
    }
}
