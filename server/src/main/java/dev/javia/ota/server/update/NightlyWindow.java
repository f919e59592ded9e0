package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.UpdateWindow;
import dev.javia.ota.server.OtaProperties;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.UUID;

/**
 * The nightly install window of scheduled updates: from its start (02:00 by default) in the device's own timezone for
 * its length (3 hours by default, so until 05:00). Across DST this is java.time's resolution: a start hour that does
 * not exist that night (spring forward) becomes the first instant after the gap; one that occurs twice (fall back)
 * is the earlier. The length is absolute time, whatever the clocks do in it.
 * <p>
 * A device's turn inside a window is spread over its first two thirds by a hash of the device and the update, so
 * that a million devices in one zone do not all download at 02:00:00, and each one still has the last third to
 * finish. A device that misses its window (it was offline, or its turn came while it was busy) waits for the next.
 */
final class NightlyWindow {

    static final Duration DEFAULT_LENGTH = Duration.ofHours(3);

    private final LocalTime start;
    private final Duration length;
    private final long spreadSeconds;

    NightlyWindow(int hour) {
        this(hour, DEFAULT_LENGTH);
    }

    /** The window the server is configured with (ota.scheduled-hour, ota.install-window). */
    static NightlyWindow of(OtaProperties properties) {
        return new NightlyWindow(properties.scheduledHour(), properties.installWindow());
    }

    /** A device's window in force ({@link dev.javia.ota.server.device.InstallWindows}). */
    static NightlyWindow of(UpdateWindow window) {
        return new NightlyWindow(window.startHour(), Duration.ofMinutes(window.lengthMinutes()));
    }

    NightlyWindow(int hour, Duration length) {
        if (hour < 0 || hour > 23) {
            throw new IllegalArgumentException("ota.scheduled-hour must be 0..23, not " + hour);
        }
        if (length.compareTo(Duration.ofHours(1)) < 0 || length.compareTo(Duration.ofHours(12)) > 0) {
            throw new IllegalArgumentException("ota.install-window must be between 1h and 12h, not " + length);
        }
        this.start = LocalTime.of(hour, 0);
        this.length = length;
        this.spreadSeconds = length.multipliedBy(2).dividedBy(3).toSeconds();
    }

    /** The first start of the window strictly after {@code now}: when a newly published update becomes due. */
    Instant next(Instant now, ZoneId zone) {
        LocalDate today = now.atZone(zone).toLocalDate();
        Instant tonight = startOn(today, zone);
        return tonight.isAfter(now) ? tonight : startOn(today.plusDays(1), zone);
    }

    /**
     * When this device's turn with a scheduled update begins, given the {@code scheduledFor} the server recorded:
     * <ul>
     * <li>a window's start (as published): that window's start plus the device's offset;</li>
     * <li>any other moment (an operator's, e.g. "a moment ago" to test): that moment itself;</li>
     * <li>either one whose window is over: the device's turn in the window open now, or else in the next one.</li>
     * </ul>
     * A turn in the past that is still inside its window means "install now".
     */
    Instant turn(Instant scheduledFor, Instant now, ZoneId zone, Duration offset) {
        return slot(scheduledFor, now, zone, offset).turn();
    }

    /** The device's {@link #turn}, and the end of the window it falls in: a device that has not started by then waits. */
    Slot slot(Instant scheduledFor, Instant now, ZoneId zone, Duration offset) {
        if (now.isBefore(scheduledFor.plus(length))) {
            return new Slot(isStart(scheduledFor, zone) ? scheduledFor.plus(offset) : scheduledFor,
                    scheduledFor.plus(length));
        }
        LocalDate today = now.atZone(zone).toLocalDate();
        for (LocalDate night : new LocalDate[] {today.minusDays(1), today}) {
            Instant open = startOn(night, zone);
            if (!now.isBefore(open) && now.isBefore(open.plus(length))) {
                return new Slot(open.plus(offset), open.plus(length));
            }
        }
        Instant next = next(now, zone);
        return new Slot(next.plus(offset), next.plus(length));
    }

    /** Whether {@code moment} is a start of this window (as publishing records it), rather than an operator's time. */
    boolean isStart(Instant moment, ZoneId zone) {
        return startOn(moment.atZone(zone).toLocalDate(), zone).equals(moment);
    }

    /** Where in the window this device's turn with this update falls: the same every time, evenly spread. */
    Duration offset(String deviceUuid, UUID updateId) {
        if (spreadSeconds == 0) {
            return Duration.ZERO;
        }
        byte[] digest = sha256(deviceUuid + "/" + updateId);
        long value = ByteBuffer.wrap(digest).getLong() >>> 1;
        return Duration.ofSeconds(value % spreadSeconds);
    }

    Duration length() {
        return length;
    }

    /** When a device's turn begins, and when the window it is in closes. */
    record Slot(Instant turn, Instant windowEnds) {
    }

    private Instant startOn(LocalDate date, ZoneId zone) {
        return ZonedDateTime.of(date, start, zone).toInstant();
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
