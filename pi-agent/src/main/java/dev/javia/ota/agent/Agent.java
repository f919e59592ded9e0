package dev.javia.ota.agent;

import dev.javia.ota.agent.activity.AlsaActivity;
import dev.javia.ota.agent.system.Watchdog;
import dev.javia.ota.agent.transport.Backoff;
import dev.javia.ota.agent.transport.DeviceSession;
import dev.javia.ota.agent.transport.ServerRejectedException;
import dev.javia.ota.agent.transport.ServerUnavailableException;
import dev.javia.ota.agent.update.InstallRoot;
import dev.javia.ota.agent.update.StatusOutbox;
import dev.javia.ota.agent.update.UpdateMachine;
import dev.javia.ota.agent.update.UpdateState;
import dev.javia.ota.protocol.api.AgentSettings;
import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.HeartbeatReply;
import dev.javia.ota.protocol.api.UpdateCheck;
import dev.javia.ota.protocol.pkg.PackageLayout;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The agent's loop. Each {@link #tick} (every {@code TICK_SECONDS}, on one thread) feeds the watchdog, polls ALSA,
 * talks to the server when it is due (register, send owed reports, heartbeat, check) and lets the update machine
 * go as far as it can. An unreachable server delays the next attempt by an exponential backoff with jitter; it
 * never stops the machine from running the steps that do not need the server.
 * <p>
 * An install step can hold the loop for many minutes (a download, apt-get, pip, the health check). While the
 * machine advances, a second thread keeps the heartbeats going ({@link #duringStep}), with status {@code updating}
 * and the version installed at that moment, so the server never takes an installing device for an offline one. The
 * intervals are the server's ({@link ServerIntervals}). Every heartbeat also says the agent's own version and the
 * newest package format it reads, so that the server offers a package carrying an agent only to agents that read it. Heartbeats from both threads go through {@link #heartbeat}
 * under one lock, each built when it is sent: they never cross, and the last one sent says the latest truth.
 * <p>
 * When the next heartbeat, check or attempt after a failure is due is measured on the monotonic clock
 * ({@code System.nanoTime}, as {@link dev.javia.ota.agent.activity.ActivityTracker} measures idle time), never the
 * wall clock: a Pi has no RTC, and NTP stepping its clock back by hours would pause the heartbeats until the wall
 * clock caught up, stepping it forward would fire everything at once. The wall clock serves only where a wall time
 * is meant (when an offer was first seen, the schedule's times).
 */
public final class Agent implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Agent.class.getName());
    /** A heartbeat lost during a step is tried again this soon (or at the interval, if shorter): three lost is offline. */
    private static final Duration STEP_RETRY = Duration.ofSeconds(30);

    private final DeviceSession session;
    private final UpdateMachine machine;
    private final StatusOutbox outbox;
    private final InstallRoot root;
    private final AlsaActivity alsa;
    /** Fed by the loop's thread only: a hung loop stops the pings, and systemd restarts the agent. */
    private final Watchdog watchdog;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final Backoff backoff;
    private final ServerIntervals intervals;
    private final Duration pulse;
    /** The long poll on top of the polls, or null ({@code OTA_PUSH=false}); started by {@link #run}. */
    private final PushWaits push;
    private final List<AutoCloseable> resources;
    /** This agent's own version, in every heartbeat beside the app's, with the newest package format it reads. */
    private final String agentVersion;
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** Guards the heartbeat fields below; held while a heartbeat is sent, so that two never cross. */
    private final Object beatLock = new Object();
    /** The thread that heartbeats while a step holds the loop; its one thread starts with the first step. */
    private final ScheduledExecutorService stepBeats = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "agent-step-heartbeat");
        thread.setDaemon(true);
        return thread;
    });

    // when each is due, as nanoTime values: compared by their difference only (see reached); "at once" is a value
    // already reached, such as the present
    private volatile long serverNotBefore;
    private long nextHeartbeat;
    private long nextCheck;
    private String reportedVersion;
    private DeviceStatus reportedStatus;
    /**
     * The device's own settings, in every heartbeat until one carrying them is answered; null once the server has
     * them. Told once per start, so that a setting changed or removed while the agent was stopped reaches it.
     */
    private AgentSettings settingsToTell;
    private ScheduledExecutorService loop;
    private volatile Throwable fatal;

    Agent(DeviceSession session, UpdateMachine machine, StatusOutbox outbox, InstallRoot root, AlsaActivity alsa,
            Watchdog watchdog, Clock clock, LongSupplier nanoTime, Backoff backoff, Duration heartbeatInterval,
            Duration checkInterval, Duration pulse, AgentSettings settings, PushWaits push,
            List<AutoCloseable> resources, String agentVersion) {
        this.agentVersion = agentVersion;
        this.session = session;
        this.machine = machine;
        this.outbox = outbox;
        this.root = root;
        this.alsa = alsa;
        this.watchdog = watchdog;
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.backoff = backoff;
        this.intervals = new ServerIntervals(heartbeatInterval, checkInterval);
        this.pulse = pulse;
        this.push = push;
        this.settingsToTell = settings;
        this.resources = new ArrayList<>(resources);
        long start = nanoTime.getAsLong();
        this.serverNotBefore = start;
        this.nextHeartbeat = start;
        this.nextCheck = start;
    }

    public UpdateMachine machine() {
        return machine;
    }

    public DeviceSession session() {
        return session;
    }

    /** One round of work; never throws for a server or an update problem (they are logged and retried). */
    public synchronized void tick() {
        watchdog.feedFromLoop();
        if (alsa != null) {
            alsa.poll();
        }
        long now = nanoTime.getAsLong();
        if (reached(now, serverNotBefore)) {
            talkToServer(now);
        }
        try {
            UpdateState before = machine.current();
            duringStep(machine::advance);
            if (before != machine.current() && machine.idle()) {
                // an update just ended: tell the server the version now running, and ask what is next
                synchronized (beatLock) {
                    nextHeartbeat = now;
                }
                nextCheck = now;
            }
        } catch (ServerUnavailableException e) {
            delayServer(now, e);
        }
    }

    private void talkToServer(long now) {
        try {
            session.ensureRegistered();
            outbox.flush(session);
            HeartbeatReply reply = heartbeat(now, false);
            UpdateCheck answered = reply == null ? null : reply.updateCheck();
            // the heartbeat's reply carries the check's answer; only a server that leaves it out is asked apart
            if ((answered != null || reached(now, nextCheck)) && !machine.busy()) {
                UpdateCheck check = answered != null ? answered : session.check();
                intervals.follow(check);
                machine.offer(check, clock.instant());
                nextCheck = now + intervals.check().toNanos();
                if (push != null) {
                    push.cursor(check.pushCursor());
                }
            }
            backoff.reset();
        } catch (ServerUnavailableException | ServerRejectedException e) {
            delayServer(now, e);
        }
    }

    /**
     * Sends a heartbeat when one is due, or at once when the version or the status to tell has changed (an install
     * began, a new release runs), and follows the intervals of its reply. While installing it carries the step and,
     * while downloading, the percentage: they ride along, a new step alone sends nothing.
     *
     * @param onlyWhileInstalling true on the step's heartbeat thread: nothing is sent once the install's outcome is
     *                            known (the loop's next heartbeat says the device is back online)
     * @return the reply, or null when no heartbeat was due
     */
    private HeartbeatReply heartbeat(long now, boolean onlyWhileInstalling) {
        synchronized (beatLock) {
            Heartbeat[] made = new Heartbeat[1];
            // built under the session's lock, so that it says what holds when it is sent (never "updating" after
            // the outcome's report)
            HeartbeatReply reply = session.heartbeat(() -> {
                Optional<UpdateMachine.Step> step = machine.installStep();
                if (onlyWhileInstalling && step.isEmpty()) {
                    return null;
                }
                String version = installedVersion();
                DeviceStatus status = step.isPresent() ? DeviceStatus.UPDATING : DeviceStatus.ONLINE;
                if (!reached(now, nextHeartbeat) && Objects.equals(version, reportedVersion)
                        && status == reportedStatus) {
                    return null;
                }
                Heartbeat beat = new Heartbeat(version, status, null).withSettings(settingsToTell)
                        .fromAgent(agentVersion, PackageLayout.NEWEST_FORMAT_VERSION);
                made[0] = step.map(s -> beat.withStep(s.name(), s.percent())).orElse(beat);
                return made[0];
            });
            if (made[0] == null) {
                return null;
            }
            intervals.follow(reply);
            if (made[0].settings() != null) {
                settingsToTell = null;
            }
            reportedVersion = made[0].currentVersion();
            reportedStatus = made[0].status();
            nextHeartbeat = now + intervals.heartbeat().toNanos();
            return reply;
        }
    }

    /**
     * Runs {@code step} (the machine advancing, which may hold this thread for twenty minutes of apt-get) with the
     * heartbeats going on the step thread every {@code pulse}, and stops them when it returns. Each pulse sends
     * only what is due, as the loop would; the lock in {@link #heartbeat} keeps a late pulse from crossing the
     * loop's next heartbeat.
     */
    private void duringStep(Runnable step) {
        if (machine.idle()) {
            // nothing to run: an idle machine returns at once
            step.run();
            return;
        }
        ScheduledFuture<?> beats = stepBeats.scheduleWithFixedDelay(this::beatDuringStep, pulse.toMillis(),
                pulse.toMillis(), TimeUnit.MILLISECONDS);
        try {
            step.run();
        } finally {
            beats.cancel(false);
        }
    }

    private void beatDuringStep() {
        long now = nanoTime.getAsLong();
        if (!machine.installing() || !reached(now, serverNotBefore)) {
            return;
        }
        try {
            heartbeat(now, true);
        } catch (RuntimeException e) {
            // a periodic task that throws is never run again: log, and try again at the next pulse that is due
            synchronized (beatLock) {
                nextHeartbeat = now + min(intervals.heartbeat(), STEP_RETRY).toNanos();
            }
            LOG.warning("heartbeat during the update step failed: " + e.getMessage() + "; next attempt in "
                    + min(intervals.heartbeat(), STEP_RETRY).toSeconds() + " s");
        }
    }

    /** Whether nanoTime {@code now} is at or past {@code due}: by difference, as System.nanoTime's contract asks. */
    private static boolean reached(long now, long due) {
        return now - due >= 0;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Backs off; a server that said when to come back (Retry-After) is not asked again before that. */
    private void delayServer(long now, RuntimeException why) {
        Duration delay = why instanceof ServerUnavailableException unavailable && unavailable.retryAfter().isPresent()
                ? backoff.nextDelay(unavailable.retryAfter().get())
                : backoff.nextDelay();
        serverNotBefore = now + delay.toNanos();
        LOG.warning("server: " + why.getMessage() + "; next attempt in " + delay.toSeconds() + " s (attempt "
                + backoff.failures() + ")");
    }

    private String installedVersion() {
        return root.installedVersion().orElse(null);
    }

    /**
     * Runs ticks every {@code tick} on a single thread until {@link #close}; says READY=1 to systemd first.
     *
     * @return false when the loop died of an {@link Error}: the process should exit non-zero and be restarted
     */
    public boolean run(Duration tick) throws InterruptedException {
        loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "agent-loop");
            thread.setDaemon(true);
            return thread;
        });
        watchdog.ready();
        loop.scheduleWithFixedDelay(this::guardedTick, 0, tick.toMillis(), TimeUnit.MILLISECONDS);
        if (push != null) {
            push.start(machine::busy, this::checkNow);
        }
        stopped.await();
        return fatal == null;
    }

    /** A tick on the loop that survives anything the tick does, and stops the agent on an {@link Error}. */
    private void guardedTick() {
        try {
            tick();
        } catch (RuntimeException e) {
            // the loop must survive anything one tick does; the cause is in the log
            LOG.log(Level.SEVERE, "tick failed: " + e.getMessage(), e);
        } catch (Error e) {
            // a JVM in trouble: stop, so that systemd restarts a fresh one (the update resumes from its file)
            LOG.log(Level.SEVERE, "agent loop died: " + e, e);
            fatal = e;
            stopped.countDown();
        }
    }

    /**
     * Pushed: the server says something changed for this device. A tick on the loop's thread at once, with the check
     * due: the same check, offer and install as a poll's, only sooner. The future ends once that tick has run.
     */
    private Future<?> checkNow() {
        return loop.submit(() -> {
            synchronized (this) {
                nextCheck = nanoTime.getAsLong();
            }
            guardedTick();
        });
    }

    @Override
    public void close() {
        if (loop != null) {
            loop.shutdownNow();
        }
        stepBeats.shutdownNow();
        if (push != null) {
            push.close();
        }
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.fine("closing " + resource + ": " + e.getMessage());
            }
        }
        stopped.countDown();
    }
}
