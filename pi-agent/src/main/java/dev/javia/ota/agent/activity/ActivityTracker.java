package dev.javia.ota.agent.activity;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * How long since the user last did something. A single event (a button press) counts at its instant; a session (a
 * conversation, audio playing) keeps the device busy from its start until its end. A session nobody ends, because
 * the app that opened it crashed, lapses {@code sessionTimeout} after it was last renewed, so a dead app cannot hold
 * updates off for ever. The agent's own start counts as activity: after a restart it never assumes the user left.
 * <p>
 * Time here is monotonic ({@link System#nanoTime} in the agent), never the wall clock: a Pi has no RTC and boots
 * with a stale clock that NTP then steps by hours, and a step must neither fake nor hide an hour without activity.
 */
public final class ActivityTracker {

    private final LongSupplier nanoTime;
    private final long sessionTimeout;
    private final Map<String, Long> sessions = new HashMap<>();
    private long lastActivity;
    private String lastSource = "agent start";

    /** @param nanoTime a monotonic source in nanoseconds, {@code System::nanoTime} (tests pass a fake) */
    public ActivityTracker(LongSupplier nanoTime, Duration sessionTimeout) {
        this.nanoTime = nanoTime;
        this.sessionTimeout = sessionTimeout.toNanos();
        this.lastActivity = nanoTime.getAsLong();
    }

    /** Something happened now (a button press, a line from the app). */
    public synchronized void activity(String source) {
        touch(source, nanoTime.getAsLong());
    }

    /** A session started, or is still going (renewal): busy until {@link #sessionEnded}. */
    public synchronized void sessionStarted(String source) {
        long now = nanoTime.getAsLong();
        sessions.put(source, now);
        touch(source, now);
    }

    public synchronized void sessionEnded(String source) {
        sessions.remove(source);
        touch(source, nanoTime.getAsLong());
    }

    public synchronized boolean inSession(String source) {
        expireSessions(nanoTime.getAsLong());
        return sessions.containsKey(source);
    }

    /** Zero while a session is open; otherwise the time since the last activity or session end. */
    public synchronized Duration idleFor() {
        long now = nanoTime.getAsLong();
        expireSessions(now);
        if (!sessions.isEmpty()) {
            return Duration.ZERO;
        }
        long idle = now - lastActivity;
        return idle < 0 ? Duration.ZERO : Duration.ofNanos(idle);
    }

    /** What last kept the device busy, for the log line that explains a postponed update. */
    public synchronized Optional<String> busyWith() {
        expireSessions(nanoTime.getAsLong());
        return sessions.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", new TreeSet<>(sessions.keySet())));
    }

    public synchronized String lastSource() {
        return lastSource;
    }

    // nanoTime values are compared by their difference only, as System.nanoTime's contract asks
    private void expireSessions(long now) {
        for (Iterator<Map.Entry<String, Long>> it = sessions.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Long> session = it.next();
            long lapse = session.getValue() + sessionTimeout;
            if (lapse - now <= 0) {
                it.remove();
                touch(session.getKey() + " (session lapsed)", lapse);
            }
        }
    }

    private void touch(String source, long when) {
        if (when - lastActivity >= 0) {
            lastActivity = when;
            lastSource = source;
        }
    }
}
