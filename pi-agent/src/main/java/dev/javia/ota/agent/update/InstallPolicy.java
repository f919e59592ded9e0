package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.UpdateType;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/**
 * When an offered update may be installed. Scheduled: at or after {@code scheduled_for} (the server's next 02:00
 * device-local), and only after the device has been idle a few minutes, never in the middle of a conversation; a
 * {@code scheduled_for} in the past means "as soon as idle", until {@code window_ends_at} when the server sent one:
 * an install not started by then waits for the next night's turn, which the server's next check answer gives.
 * Urgent: after one hour without activity, whatever the window.
 */
public final class InstallPolicy {

    /** The answer, with the reason for the log line. */
    public record Decision(boolean due, String reason) {
    }

    private final ZoneId zone;
    private final int installHour;
    private final Duration scheduledIdle;
    private final Duration urgentIdle;

    public InstallPolicy(ZoneId zone, int installHour, Duration scheduledIdle, Duration urgentIdle) {
        this.zone = zone;
        this.installHour = installHour;
        this.scheduledIdle = scheduledIdle;
        this.urgentIdle = urgentIdle;
    }

    /** @param windowEndsAt when the night's window closes; null from a server that does not say (as before it) */
    public Decision decide(UpdateType type, Instant scheduledFor, Instant windowEndsAt, Instant offeredAt, Instant now,
            Duration idle) {
        if (type == UpdateType.URGENT) {
            if (idle.compareTo(urgentIdle) >= 0) {
                return new Decision(true, "urgent, idle for " + minutes(idle));
            }
            return new Decision(false, "urgent: waiting for " + minutes(urgentIdle) + " without activity (idle for "
                    + minutes(idle) + ")");
        }
        if (windowEndsAt != null && !now.isBefore(windowEndsAt)) {
            return new Decision(false, "missed tonight's window, which closed at " + local(windowEndsAt)
                    + ": waiting for the next night's turn from the server");
        }
        Instant at = scheduledFor != null ? scheduledFor : nextWindow(offeredAt);
        if (now.isBefore(at)) {
            return new Decision(false, "scheduled for " + local(at));
        }
        if (idle.compareTo(scheduledIdle) < 0) {
            return new Decision(false, "scheduled time reached; waiting until the device has been idle for "
                    + minutes(scheduledIdle) + " (idle for " + minutes(idle) + ")");
        }
        return new Decision(true, "scheduled time reached, idle for " + minutes(idle));
    }

    /**
     * The first install hour strictly after {@code after}, in the device's zone, with java.time's DST resolution: a
     * 02:00 that does not exist that night becomes the first instant after the gap (03:00), a 02:00 that occurs
     * twice is the earlier one.
     */
    public Instant nextWindow(Instant after) {
        ZonedDateTime local = after.atZone(zone);
        ZonedDateTime candidate = ZonedDateTime.of(local.toLocalDate(), LocalTime.of(installHour, 0), zone);
        if (!candidate.toInstant().isAfter(after)) {
            candidate = ZonedDateTime.of(local.toLocalDate().plusDays(1), LocalTime.of(installHour, 0), zone);
        }
        return candidate.toInstant();
    }

    private String local(Instant instant) {
        return instant.atZone(zone).toLocalDateTime() + " " + zone;
    }

    private static String minutes(Duration duration) {
        return duration.toMinutes() + " min";
    }
}
