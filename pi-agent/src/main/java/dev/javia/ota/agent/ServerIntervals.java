package dev.javia.ota.agent;

import dev.javia.ota.protocol.api.HeartbeatReply;
import dev.javia.ota.protocol.api.UpdateCheck;

import java.time.Duration;
import java.util.logging.Logger;

/**
 * How often the agent heartbeats and checks: what the server last said ({@code heartbeat_interval_seconds} in the
 * heartbeat's reply, {@code check_interval_seconds} in the check's answer), so that the server's offline sweep and
 * the agent count with the same interval. A reply without them (an older server sends 0 or nothing) leaves the
 * agent's own configuration in force. A value outside [{@link #MIN}, {@link #MAX}] is clamped: a misconfigured or
 * hostile server can neither make a fleet hammer it nor silence it for months. Read and written from the loop and
 * from the heartbeat thread of a running step, hence synchronized.
 */
final class ServerIntervals {

    private static final Logger LOG = Logger.getLogger(ServerIntervals.class.getName());
    static final Duration MIN = Duration.ofSeconds(10);
    static final Duration MAX = Duration.ofHours(24);

    private final Duration configuredHeartbeat;
    private final Duration configuredCheck;
    private Duration heartbeat;
    private Duration check;
    private long clampedHeartbeatSeconds;
    private long clampedCheckSeconds;

    ServerIntervals(Duration configuredHeartbeat, Duration configuredCheck) {
        this.configuredHeartbeat = configuredHeartbeat;
        this.configuredCheck = configuredCheck;
        this.heartbeat = configuredHeartbeat;
        this.check = configuredCheck;
    }

    synchronized Duration heartbeat() {
        return heartbeat;
    }

    synchronized Duration check() {
        return check;
    }

    /** Takes the intervals a heartbeat's reply carries (the check's too, when the reply answers it). */
    synchronized void follow(HeartbeatReply reply) {
        if (reply == null) {
            return;
        }
        long seconds = reply.heartbeatIntervalSeconds();
        heartbeat = seconds <= 0 ? configuredHeartbeat : clamp("heartbeat_interval_seconds", seconds, true);
        follow(reply.updateCheck());
    }

    /** Takes the check interval of an update check's answer. */
    synchronized void follow(UpdateCheck answer) {
        if (answer == null) {
            return;
        }
        long seconds = answer.checkIntervalSeconds();
        check = seconds <= 0 ? configuredCheck : clamp("check_interval_seconds", seconds, false);
    }

    /** Logs a clamped value once, not at every reply that repeats it; a server that changes it again is logged again. */
    private Duration clamp(String field, long seconds, boolean heartbeatField) {
        Duration bounded = Duration.ofSeconds(Math.max(MIN.toSeconds(), Math.min(MAX.toSeconds(), seconds)));
        if (bounded.toSeconds() == seconds) {
            return bounded;
        }
        long alreadyLogged = heartbeatField ? clampedHeartbeatSeconds : clampedCheckSeconds;
        if (alreadyLogged != seconds) {
            LOG.warning("server sent " + field + "=" + seconds + ", outside [" + MIN.toSeconds() + ", "
                    + MAX.toSeconds() + "]: using " + bounded.toSeconds() + " s");
            if (heartbeatField) {
                clampedHeartbeatSeconds = seconds;
            } else {
                clampedCheckSeconds = seconds;
            }
        }
        return bounded;
    }
}
