package dev.javia.ota.server.update;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.time.ZoneId;

import static org.assertj.core.api.Assertions.assertThat;

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
}
