package dev.javia.ota.agent.system;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The systemd watchdog, fed only by the agent's loop. The thread that ticks claims it ({@link #feedFromLoop}); after
 * that a {@link #feed} counts only when it comes from that same thread: a command it waits on, a download it runs,
 * a sleep between two looks of the health check. Nothing else may feed it (the heartbeat thread of a long step,
 * the long poll, a command another thread runs): should the loop hang, the pings stop and systemd restarts the
 * agent, and the update machine resumes from its state file.
 */
public final class Watchdog {

    /**
     * The shortest time between two pings of {@link #feed}: each is a {@code systemd-notify} process, and a download
     * under a cap says it is alive ten times a second.
     */
    static final Duration MIN_GAP = Duration.ofSeconds(5);

    private final SystemdNotifier notifier;
    private final LongSupplier nanoTime;
    private volatile Thread loop;
    /** nanoTime of the last ping; touched by the loop's thread only. */
    private long lastPing;
    private boolean pinged;

    public Watchdog(SystemdNotifier notifier) {
        this(notifier, System::nanoTime);
    }

    /** @param nanoTime the monotonic clock the gap between pings is measured on (tests pass one that a sleep moves) */
    public Watchdog(SystemdNotifier notifier, LongSupplier nanoTime) {
        this.notifier = notifier;
        this.nanoTime = nanoTime;
    }

    /** READY=1: the loop runs. */
    public void ready() {
        notifier.ready();
    }

    /** Called by the loop at each tick: the ticking thread is the loop from now on. */
    public void feedFromLoop() {
        loop = Thread.currentThread();
        ping();
    }

    /** Says the loop is alive, when called on the loop's thread; elsewhere (or before the first tick) nothing. */
    public void feed() {
        if (Thread.currentThread() == loop && (!pinged || nanoTime.getAsLong() - lastPing >= MIN_GAP.toNanos())) {
            ping();
        }
    }

    private void ping() {
        lastPing = nanoTime.getAsLong();
        pinged = true;
        notifier.watchdog();
    }

    /**
     * {@code sleeper} in slices of at most {@code slice}, fed between them: a long wait of the loop (the dpkg lock's,
     * the health check's, the download's cap) is the loop alive, and still never outlasts {@code WatchdogSec}.
     */
    public Sleeper feeding(Sleeper sleeper, Duration slice) {
        return duration -> {
            Duration left = duration;
            while (left.compareTo(slice) > 0) {
                sleeper.sleep(slice);
                feed();
                left = left.minus(slice);
            }
            if (!left.isNegative() && !left.isZero()) {
                sleeper.sleep(left);
            }
            feed();
        };
    }
}
