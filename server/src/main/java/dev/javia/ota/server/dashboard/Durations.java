package dev.javia.ota.server.dashboard;

import java.time.Duration;

/** Durations as a page says them: "3 days", "5 hours", "12 minutes", "40 seconds". */
final class Durations {

    private Durations() {
    }

    static String words(Duration duration) {
        long seconds = Math.max(0, duration.toSeconds());
        if (seconds >= 2 * 86_400) {
            return seconds / 86_400 + " days";
        }
        if (seconds >= 2 * 3_600) {
            return seconds / 3_600 + " hours";
        }
        if (seconds >= 120) {
            return seconds / 60 + " minutes";
        }
        return seconds + (seconds == 1 ? " second" : " seconds");
    }

    /** "5 minutes ago", or "never". */
    static String ago(java.time.Instant then, java.time.Instant now) {
        return then == null ? "never" : words(Duration.between(then, now)) + " ago";
    }
}
