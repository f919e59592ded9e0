package dev.javia.ota.agent.activity;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * How long since the user last did something. A single event (a button press) counts at its instant; a session (a
 * conversation, audio playing) keeps the device busy from its start until its end. A session nobody ends, because
 * the app that opened it crashed, lapses {@code sessionTimeout} after it was last renewed, so a dead app cannot hold
 * updates off for ever. The agent's own start counts as activity: after a restart it never assumes the user left.
 */
public final class ActivityTracker {

    private final Clock clock;
    private final Duration sessionTimeout;
    private final Map<String, Instant> sessions = new HashMap<>();
    private Instant lastActivity;
    private String lastSource = "agent start";

    public ActivityTracker(Clock clock, Duration sessionTimeout) {
        this.clock = clock;
        this.sessionTimeout = sessionTimeout;
        this.lastActivity = clock.instant();
    }

    /** Something happened now (a button press, a line from the app). */
    public synchronized void activity(String source) {
        touch(source, clock.instant());
    }

    /** A session started, or is still going (renewal): busy until {@link #sessionEnded}. */
    public synchronized void sessionStarted(String source) {
        Instant now = clock.instant();
        sessions.put(source, now);
        touch(source, now);
    }

    public synchronized void sessionEnded(String source) {
        sessions.remove(source);
        touch(source, clock.instant());
    }

    public synchronized boolean inSession(String source) {
        expireSessions(clock.instant());
        return sessions.containsKey(source);
    }

    /** Zero while a session is open; otherwise the time since the last activity or session end. */
    public synchronized Duration idleFor() {
        Instant now = clock.instant();
        expireSessions(now);
        if (!sessions.isEmpty()) {
            return Duration.ZERO;
        }
        Duration idle = Duration.between(lastActivity, now);
        return idle.isNegative() ? Duration.ZERO : idle;
    }

    /** What last kept the device busy, for the log line that explains a postponed update. */
    public synchronized Optional<String> busyWith() {
        expireSessions(clock.instant());
        return sessions.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", new TreeSet<>(sessions.keySet())));
    }

    public synchronized String lastSource() {
        return lastSource;
    }

    private void expireSessions(Instant now) {
        for (Iterator<Map.Entry<String, Instant>> it = sessions.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Instant> session = it.next();
            Instant lapse = session.getValue().plus(sessionTimeout);
            if (!lapse.isAfter(now)) {
                it.remove();
                touch(session.getKey() + " (session lapsed)", lapse);
            }
        }
    }

    private void touch(String source, Instant when) {
        if (!when.isBefore(lastActivity)) {
            lastActivity = when;
            lastSource = source;
        }
    }
}
