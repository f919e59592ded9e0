package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.Command;
import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.agent.system.CommandRunner;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Whether the wall clock can be believed. A Pi has no RTC: it boots with the time it last saved (or 1970) and NTP
 * steps it later, so until then "is it 02:00 yet" has no meaning and a scheduled install does not start.
 * <p>
 * The clock is trusted once the last server {@code Date} agrees with it within {@code bound}, or, while no server
 * {@code Date} has disagreed, once {@code timedatectl} reports {@code NTPSynchronized=yes} (systemd-timesyncd sets
 * it, and chrony through timedated). Trust then holds for the run; only a server {@code Date} further off than
 * {@code bound} takes it away, and only a server {@code Date} that agrees gives it back: the latest word of the
 * server is the freshest evidence there is. A missing {@code timedatectl}, a failure or an unexpected answer is
 * "not known", never "synchronized".
 */
public final class ClockTrust {

    private static final Logger LOG = Logger.getLogger(ClockTrust.class.getName());
    static final Command NTP_SYNCHRONIZED = Command.of(Duration.ofSeconds(10),
            "timedatectl", "show", "-p", "NTPSynchronized", "--value");
    /** How often, while untrusted, timedatectl is asked again (the loop ticks every few seconds). */
    private static final long ASK_EVERY = Duration.ofMinutes(1).toNanos();

    private enum ServerSays { NOTHING, AGREES, DISAGREES }

    private final CommandRunner runner;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final Duration bound;
    private ServerSays server = ServerSays.NOTHING;
    private String serverDetail = "no server Date yet";
    private boolean ntpSynchronized;
    private String ntpDetail = "timedatectl not asked yet";
    private boolean asked;
    private long askedAt;

    /**
     * @param nanoTime monotonic time, to pace the questions to timedatectl whatever the wall clock does
     * @param bound    how far the server's {@code Date} and the local clock may differ ({@code CLOCK_SKEW_SECONDS})
     */
    public ClockTrust(CommandRunner runner, Clock clock, LongSupplier nanoTime, Duration bound) {
        this.runner = runner;
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.bound = bound;
    }

    public synchronized boolean trusted() {
        if (server == ServerSays.NOTHING && !ntpSynchronized) {
            long now = nanoTime.getAsLong();
            if (!asked || now - askedAt >= ASK_EVERY) {
                asked = true;
                askedAt = now;
                askTimedatectl();
                if (ntpSynchronized) {
                    LOG.info("clock trusted (" + ntpDetail + "): time-based update decisions start");
                }
            }
        }
        return isTrusted();
    }

    /** Why the clock is not trusted, for the waiting line: what timedatectl and the server said. */
    public synchronized String reason() {
        return "the clock is not synchronized yet (" + ntpDetail + ", " + serverDetail + ")";
    }

    /** The {@code Date} of a server reply, as it arrives. */
    public synchronized void serverDate(Instant date) {
        boolean before = isTrusted();
        Instant local = clock.instant();
        Duration skew = Duration.between(date, local).abs();
        if (skew.compareTo(bound) <= 0) {
            server = ServerSays.AGREES;
            serverDetail = "server Date agrees within " + bound.toSeconds() + " s";
            if (!before) {
                LOG.info("clock trusted (the server's Date " + date + " and the local clock " + local
                        + " agree within " + bound.toSeconds() + " s): time-based update decisions start");
            }
            return;
        }
        server = ServerSays.DISAGREES;
        // no times in the reason: it would change with every answer and repeat the waiting line each heartbeat
        serverDetail = "server Date off by more than " + bound.toSeconds() + " s";
        if (before) {
            LOG.warning("clock no longer trusted: the server's Date " + date + " and the local clock " + local
                    + " differ by " + skew.toSeconds() + " s, more than " + bound.toSeconds()
                    + " s; no scheduled install until they agree");
        }
    }

    private boolean isTrusted() {
        return server == ServerSays.AGREES || server == ServerSays.NOTHING && ntpSynchronized;
    }

    private void askTimedatectl() {
        CommandResult result = runner.run(NTP_SYNCHRONIZED);
        String answer = result.output().strip();
        if (result.succeeded() && answer.equals("yes")) {
            ntpSynchronized = true;
            ntpDetail = "timedatectl NTPSynchronized=yes";
        } else if (result.succeeded() && answer.equals("no")) {
            ntpDetail = "timedatectl NTPSynchronized=no";
        } else if (result.exitCode() == 127) {
            ntpDetail = "no timedatectl";
        } else {
            ntpDetail = "timedatectl unknown (" + (result.succeeded() ? "'" + result.tail(1) + "'" : result.describe())
                    + ")";
        }
    }
}
