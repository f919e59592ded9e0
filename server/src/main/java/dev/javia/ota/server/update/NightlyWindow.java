package dev.javia.ota.server.update;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/**
 * When a scheduled update becomes due: the next start of the nightly window (02:00 by default) in the device's own
 * timezone. Across DST this is java.time's resolution: a window hour that does not exist that night (spring forward)
 * becomes the first instant after the gap; one that occurs twice (fall back) is the earlier.
 */
final class NightlyWindow {

    private final LocalTime start;

    NightlyWindow(int hour) {
        if (hour < 0 || hour > 23) {
            throw new IllegalArgumentException("ota.scheduled-hour must be 0..23, not " + hour);
        }
        this.start = LocalTime.of(hour, 0);
    }

    Instant next(Instant now, ZoneId zone) {
        LocalDate today = now.atZone(zone).toLocalDate();
        Instant tonight = ZonedDateTime.of(today, start, zone).toInstant();
        return tonight.isAfter(now) ? tonight : ZonedDateTime.of(today.plusDays(1), start, zone).toInstant();
    }
}
