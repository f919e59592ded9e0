package dev.javia.ota.server.update;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NightlyWindowTests {

    private final NightlyWindow twoAm = new NightlyWindow(2);

    @ParameterizedTest(name = "{1} at {0} -> {2}")
    @CsvSource({
            // an ordinary summer day: tomorrow's 02:00 local
            "2026-06-15T12:00:00Z, America/Los_Angeles, 2026-06-16T09:00:00Z",
            "2026-06-15T12:00:00Z, Europe/Berlin,       2026-06-16T00:00:00Z",
            "2026-06-15T12:00:00Z, Asia/Kolkata,        2026-06-15T20:30:00Z",
            "2026-06-15T12:00:00Z, UTC,                 2026-06-16T02:00:00Z",
            "2026-06-15T12:00:00Z, Australia/Lord_Howe, 2026-06-15T15:30:00Z",
            // before 02:00 local: tonight's window, not tomorrow's
            "2026-06-15T01:59:00Z, UTC,                 2026-06-15T02:00:00Z",
            // exactly at 02:00: the next night
            "2026-06-15T02:00:00Z, UTC,                 2026-06-16T02:00:00Z",
            // spring forward, 02:00 does not exist: the first instant after the gap (03:00 local)
            "2026-03-07T20:00:00Z, America/Los_Angeles, 2026-03-08T10:00:00Z",
            "2026-03-28T12:00:00Z, Europe/Berlin,       2026-03-29T01:00:00Z",
            // Lord Howe moves by 30 minutes at 02:00: 02:00 becomes 02:30 (+11:00)
            "2026-10-03T06:00:00Z, Australia/Lord_Howe, 2026-10-03T15:30:00Z",
            // fall back, 02:00 occurs twice in Berlin: the earlier (still +02:00)
            "2026-10-24T12:00:00Z, Europe/Berlin,       2026-10-25T00:00:00Z",
            // fall back in Los Angeles repeats 01:xx; 02:00 is once, in standard time
            "2026-10-31T20:00:00Z, America/Los_Angeles, 2026-11-01T10:00:00Z",
            // Lord Howe falls back 02:00 -> 01:30; 02:00 is then once, at +10:30
            "2026-04-04T06:00:00Z, Australia/Lord_Howe, 2026-04-04T15:30:00Z",
    })
    void theNextWindowIsTwoAmLocal(Instant now, String zone, Instant expected) {
        assertThat(twoAm.next(now, ZoneId.of(zone))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"2026-06-15T12:00:00Z, 4, 2026-06-16T04:00:00Z", "2026-06-15T12:00:00Z, 0, 2026-06-16T00:00:00Z"})
    void theHourIsConfigurable(Instant now, int hour, Instant expected) {
        assertThat(new NightlyWindow(hour).next(now, ZoneId.of("UTC"))).isEqualTo(expected);
    }

    private static final Duration OFFSET = Duration.ofMinutes(37);

    @ParameterizedTest(name = "recorded {0}, now {1} -> turn {2}")
    @CsvSource({
            // as published: tonight's 02:00, the device's turn 37 minutes in
            "2026-06-16T02:00:00Z, 2026-06-15T12:00:00Z, 2026-06-16T02:37:00Z",
            // inside the window, before and after the turn: the turn either way (in the past: install now)
            "2026-06-16T02:00:00Z, 2026-06-16T02:10:00Z, 2026-06-16T02:37:00Z",
            "2026-06-16T02:00:00Z, 2026-06-16T04:59:00Z, 2026-06-16T02:37:00Z",
            // the window closed at 05:00 without the device: the next night's turn
            "2026-06-16T02:00:00Z, 2026-06-16T05:00:00Z, 2026-06-17T02:37:00Z",
            // offline for a month, back in the afternoon: the next night, not at once
            "2026-06-16T02:00:00Z, 2026-07-16T13:00:00Z, 2026-07-17T02:37:00Z",
            // offline for a month, back during tonight's window: tonight's turn (past: install now)
            "2026-06-16T02:00:00Z, 2026-07-17T04:10:00Z, 2026-07-17T02:37:00Z",
            "2026-06-16T02:00:00Z, 2026-07-17T02:05:00Z, 2026-07-17T02:37:00Z",
            // an operator's "a moment ago" (not a window's start): that moment, so due at once
            "2026-06-15T11:59:00Z, 2026-06-15T12:00:00Z, 2026-06-15T11:59:00Z",
            "2026-06-15T09:00:01Z, 2026-06-15T12:00:00Z, 2026-06-15T09:00:01Z",
            // ... but not one older than a window's length: the next night's turn
            "2026-06-14T00:00:00Z, 2026-06-15T12:00:00Z, 2026-06-16T02:37:00Z",
    })
    void aDeviceTurnIsInItsWindowOrTheNext(Instant recorded, Instant now, Instant expected) {
        assertThat(twoAm.turn(recorded, now, ZoneId.of("UTC"), OFFSET)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}: month-old offer at {1}")
    @CsvSource({
            // the nights of a DST change in the scheduling tests' five zones: the next start as next() has it
            "America/Los_Angeles, 2026-03-07T20:00:00Z",
            "Europe/Berlin,       2026-03-28T12:00:00Z",
            "Europe/Berlin,       2026-10-24T12:00:00Z",
            "Asia/Kolkata,        2026-06-15T12:00:00Z",
            "UTC,                 2026-06-15T12:00:00Z",
            "Australia/Lord_Howe, 2026-10-03T06:00:00Z",
            "Australia/Lord_Howe, 2026-04-04T06:00:00Z",
    })
    void aMissedWindowWaitsForTheNextNightAcrossDst(String zoneId, Instant now) {
        ZoneId zone = ZoneId.of(zoneId);
        Instant monthOld = twoAm.next(now.minus(Duration.ofDays(30)), zone);

        Instant turn = twoAm.turn(monthOld, now, zone, OFFSET);

        assertThat(turn).isEqualTo(twoAm.next(now, zone).plus(OFFSET));
        assertThat(turn).isAfter(now);
    }

    @ParameterizedTest(name = "{0}, window at {1}:00 for {2} min: month-old offer at {3} -> {4}")
    @CsvSource({
            // a device's own window on the DST nights of the five zones: java.time's resolution, an absolute length
            "America/Los_Angeles, 1, 180, 2026-10-31T20:00:00Z, 2026-11-01T08:00:00Z",
            "America/Los_Angeles, 2, 60,  2026-03-07T20:00:00Z, 2026-03-08T10:00:00Z",
            "Europe/Berlin,       3, 120, 2026-03-28T12:00:00Z, 2026-03-29T01:00:00Z",
            "Europe/Berlin,       2, 240, 2026-10-24T12:00:00Z, 2026-10-25T00:00:00Z",
            "Asia/Kolkata,        23, 60, 2026-06-15T12:00:00Z, 2026-06-15T17:30:00Z",
            "UTC,                 4, 720, 2026-06-15T17:00:00Z, 2026-06-16T04:00:00Z",
            "Australia/Lord_Howe, 2, 90,  2026-10-03T06:00:00Z, 2026-10-03T15:30:00Z",
    })
    void aDevicesOwnWindowGivesItsTurnAndItsEndAcrossDst(String zoneId, int hour, int minutes, Instant now,
            Instant opens) {
        ZoneId zone = ZoneId.of(zoneId);
        NightlyWindow own = new NightlyWindow(hour, Duration.ofMinutes(minutes));
        Instant monthOld = own.next(now.minus(Duration.ofDays(30)), zone);

        NightlyWindow.Slot slot = own.slot(monthOld, now, zone, OFFSET);

        assertThat(own.next(now, zone)).isEqualTo(opens);
        assertThat(own.isStart(opens, zone)).isTrue();
        assertThat(own.isStart(opens.plusSeconds(1), zone)).isFalse();
        assertThat(slot.turn()).isEqualTo(opens.plus(OFFSET));
        assertThat(slot.windowEnds()).isEqualTo(opens.plus(Duration.ofMinutes(minutes)));
    }

    @Test
    void anOperatorsMomentIsItsOwnTurnForOneWindowsLength() {
        Instant momentAgo = Instant.parse("2026-06-15T11:59:00Z");

        NightlyWindow.Slot slot = twoAm.slot(momentAgo, Instant.parse("2026-06-15T12:00:00Z"), ZoneId.of("UTC"),
                OFFSET);

        assertThat(slot.turn()).isEqualTo(momentAgo);
        assertThat(slot.windowEnds()).isEqualTo(momentAgo.plus(Duration.ofHours(3)));
    }

    @Test
    void offsetsAreTheSameEveryTimeInsideTheFirstTwoThirdsAndEvenlySpread() {
        Random random = new Random(12);
        int[] buckets = new int[8];
        int devices = 16_000;
        UUID update = new UUID(random.nextLong(), random.nextLong());
        for (int i = 0; i < devices; i++) {
            String device = new UUID(random.nextLong(), random.nextLong()).toString();
            Duration offset = twoAm.offset(device, update);
            assertThat(twoAm.offset(device, update)).isEqualTo(offset);
            assertThat(offset).isBetween(Duration.ZERO, Duration.ofHours(2).minusSeconds(1));
            buckets[(int) (offset.toSeconds() * buckets.length / Duration.ofHours(2).toSeconds())]++;
        }
        // 2,000 expected in each quarter hour; a bucket outside +-10% is about 5 sigma away for a fair hash
        for (int bucket : buckets) {
            assertThat(bucket).isBetween(1_800, 2_200);
        }
        // another update spreads the same device elsewhere: no device is always first
        assertThat(twoAm.offset("0190f7a4-5b6c-7d8e-9f00-112233445566", update))
                .isNotEqualTo(twoAm.offset("0190f7a4-5b6c-7d8e-9f00-112233445566",
                        UUID.fromString("01a21e1a-0c3e-7f2a-9b41-5d6e7f809a1b")));
    }

    @Test
    void theLengthIsConfigurableWithinBounds() {
        NightlyWindow short1 = new NightlyWindow(2, Duration.ofHours(1));
        assertThat(short1.turn(Instant.parse("2026-06-16T02:00:00Z"), Instant.parse("2026-06-16T03:00:00Z"),
                ZoneId.of("UTC"), Duration.ZERO)).isEqualTo(Instant.parse("2026-06-17T02:00:00Z"));
        assertThatThrownBy(() -> new NightlyWindow(2, Duration.ofMinutes(59))).hasMessageContaining("ota.install-window");
        assertThatThrownBy(() -> new NightlyWindow(2, Duration.ofHours(13))).hasMessageContaining("between 1h and 12h");
    }
}
