package dev.javia.ota.agent;

import dev.javia.ota.agent.transport.DeviceSession;
import dev.javia.ota.agent.transport.ServerRejectedException;
import dev.javia.ota.agent.transport.ServerUnavailableException;
import dev.javia.ota.protocol.api.DeviceWake;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Push on top of polling ({@code OTA_PUSH}, on by default): while no install runs, one thread holds the server's long
 * poll ({@code GET /api/v1/devices/{uuid}/wait?cursor=}) with the {@code push_cursor} of the last check, and when it
 * is answered "check now" has the loop check at once ({@code checkNow}), so that an urgent update or an operator's
 * action starts within a second or two instead of at the next poll. The polls go on as before whatever happens here:
 * <ul>
 * <li>a server without push sends no cursor, and nothing is waited for;</li>
 * <li>a server (or a proxy) that answers 404 or 405 has no wait: none is tried for {@link #ABSENT_PAUSE};</li>
 * <li>a failing wait (network, 5xx, 503 past the server's most) is tried again after a backoff from
 *     {@link #FIRST_RETRY} to {@link #LAST_RETRY}, or the server's Retry-After;</li>
 * <li>an install holds no second connection: the wait is cancelled as soon as the machine leaves idle or waiting
 *     ({@link #installStarts}), and none is held until it is back;</li>
 * <li>a server that answers "check now" at once again and again (its state and the check disagree) is asked less
 *     often, from the third such answer on.</li>
 * </ul>
 * One daemon thread, and one connection while it waits; times are measured on the real monotonic clock, as the
 * waits themselves are.
 */
final class PushWaits implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PushWaits.class.getName());
    static final Duration ABSENT_PAUSE = Duration.ofHours(1);
    static final Duration FIRST_RETRY = Duration.ofSeconds(5);
    static final Duration LAST_RETRY = Duration.ofMinutes(5);
    /** A "check now" sooner than this after the wait was sent counts as an answer at once. */
    private static final long AT_ONCE_NANOS = Duration.ofSeconds(1).toNanos();

    private final DeviceSession session;
    private final Object lock = new Object();
    private String cursor;
    private long notBefore = System.nanoTime();
    private int failures;
    private int atOnce;
    private boolean closed;
    private BooleanSupplier busy;
    private Thread thread;
    /** Whether a wait is held (its connection open) now. */
    private volatile boolean holding;

    PushWaits(DeviceSession session) {
        this.session = session;
    }

    /**
     * Starts the thread.
     *
     * @param busy     whether an install is under way: no wait is held then
     * @param checkNow has the loop check at once; its future ends when that check (and whatever install it started)
     *                 has run
     */
    void start(BooleanSupplier busy, Supplier<Future<?>> checkNow) {
        synchronized (lock) {
            this.busy = busy;
        }
        Thread waiter = new Thread(() -> run(checkNow), "agent-push");
        waiter.setDaemon(true);
        thread = waiter;
        waiter.start();
    }

    /** The push_cursor of the check the loop just took; null (a server without push) stops waiting. */
    void cursor(String latest) {
        synchronized (lock) {
            cursor = latest;
            lock.notifyAll();
        }
    }

    /** The update machine saved a state: a step of an install comes, so the wait's connection goes. */
    void installStarts() {
        BooleanSupplier isBusy;
        synchronized (lock) {
            isBusy = busy;
        }
        if (isBusy != null && isBusy.getAsBoolean()) {
            session.cancelWait();
        }
    }

    private void run(Supplier<Future<?>> checkNow) {
        while (true) {
            String from;
            synchronized (lock) {
                try {
                    while (!closed && !mayWait()) {
                        long left = notBefore - System.nanoTime();
                        lock.wait(left > 0 && cursor != null ? Math.max(1, left / 1_000_000) : 1_000);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                if (closed) {
                    return;
                }
                from = cursor;
            }
            long sent = System.nanoTime();
            try {
                DeviceWake wake;
                holding = true;
                try {
                    wake = session.waitForChange(from);
                } finally {
                    holding = false;
                }
                failures = 0;
                if (wake.checkNow()) {
                    atOnce = System.nanoTime() - sent < AT_ONCE_NANOS ? atOnce + 1 : 0;
                    synchronized (lock) {
                        // the check gives the next cursor: until then, nothing to wait from
                        if (from.equals(cursor)) {
                            cursor = null;
                        }
                        if (atOnce >= 3) {
                            delay(retry(atOnce - 2), "the server answered the wait at once " + atOnce + " times");
                        }
                    }
                    checkNow.get().get();
                } else if (wake.waitAgainSeconds() > 0) {
                    synchronized (lock) {
                        notBefore = System.nanoTime() + Duration.ofSeconds(wake.waitAgainSeconds()).toNanos();
                    }
                }
            } catch (ServerRejectedException e) {
                synchronized (lock) {
                    if (e.gone() || e.status() == 405) {
                        delay(ABSENT_PAUSE, "the server has no wait (" + e.status() + "): polling only");
                    } else {
                        failures++;
                        delay(retry(failures), e.getMessage());
                    }
                }
            } catch (ServerUnavailableException e) {
                synchronized (lock) {
                    if (closed) {
                        return;
                    }
                    if (busy.getAsBoolean()) {
                        // cancelled for an install: nothing failed
                        continue;
                    }
                    failures++;
                    Duration delay = e.retryAfter().filter(after -> after.compareTo(retry(failures)) > 0)
                            .orElse(retry(failures));
                    delay(delay, e.getMessage());
                }
            } catch (ExecutionException | RuntimeException e) {
                LOG.warning("push: the check it asked for failed: " + e.getMessage());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    boolean holding() {
        return holding;
    }

    /** How long until the next wait may be sent (zero or less: now, once there is a cursor and no install). */
    Duration nextWaitIn() {
        synchronized (lock) {
            return Duration.ofNanos(notBefore - System.nanoTime());
        }
    }

    /** Holds the lock: a cursor, no install, and no pause in force. */
    private boolean mayWait() {
        return cursor != null && !busy.getAsBoolean() && System.nanoTime() - notBefore >= 0;
    }

    /** Holds the lock. */
    private void delay(Duration delay, String why) {
        notBefore = System.nanoTime() + delay.toNanos();
        LOG.info("push: " + why + "; next wait in " + delay.toSeconds() + " s (polling goes on)");
    }

    private static Duration retry(int failures) {
        long seconds = FIRST_RETRY.toSeconds() << Math.min(10, Math.max(0, failures - 1));
        return Duration.ofSeconds(Math.min(LAST_RETRY.toSeconds(), seconds));
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        session.cancelWait();
        if (thread != null) {
            thread.interrupt();
        }
    }
}
