package dev.javia.ota.server.connections;

import org.apache.coyote.Constants;
import org.apache.coyote.Request;
import org.apache.coyote.http11.Http11Processor;
import org.apache.tomcat.util.net.NioChannel;
import org.apache.tomcat.util.net.NioEndpoint;
import org.apache.tomcat.util.net.SecureNioChannel;
import org.apache.tomcat.util.net.SocketWrapperBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

/**
 * Every second (or a quarter of the header timeout; every {@value #SHEDDING_INTERVAL_MILLIS} ms while it sheds), on
 * Tomcat's utility thread, closes the connections that keep
 * a slot or a thread without sending their request: Tomcat's own read timeout restarts with every byte, so a client
 * sending one byte every few seconds is never timed out, and enough of them fill {@code max-connections} and shut
 * every other client out.
 * <ul>
 * <li>a request head (request line and headers) that is not complete {@link ConnectionLimits#headerTimeout} after
 * its first byte: answered 408 and closed; a connection with no request begun is closed silently that long after
 * it connected or got its previous answer;</li>
 * <li>a request body arriving slower than {@link ConnectionLimits#bodyMinRate} after
 * {@link ConnectionLimits#bodyTimeout}: its input is shut, which frees the request thread blocked reading it at
 * once; the application's read fails and {@link SlowBodyValve} answers 408;</li>
 * <li>above {@value #SHED_ABOVE} of the ceiling, the connections waiting longest for their request (idle, or still
 * sending their head) are closed until {@value #SHED_TO} is left, so that new clients are still accepted instead of
 * waiting in the accept queue behind the slow ones (the ceiling: {@link GuardedNioProtocol}).</li>
 * </ul>
 * A connection a request thread is working on (its lock is held), an asynchronous request, an upgraded connection
 * or a file being sent are never touched by the first and the last rule. Each closing is counted, and the counts
 * are logged at most once a minute.
 */
final class ConnectionSweep {

    static final double SHED_ABOVE = 0.9;
    static final double SHED_TO = 0.8;
    /** While shedding: slots are freed this often, so that a new client waits little in the accept queue. */
    static final long SHEDDING_INTERVAL_MILLIS = 100;

    private static final Logger log = LoggerFactory.getLogger(ConnectionSweep.class);
    private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    enum Reason {
        HEADER_TIMEOUT("header-timeout"), SLOW_BODY("slow-body"), CEILING("ceiling");

        final String wire;

        Reason(String wire) {
            this.wire = wire;
        }
    }

    /** A request a thread is serving: its processor and the connection's own channel (never reused by another). */
    private static final class Serving {
        final WatchedProcessor processor;
        final SocketChannel channel;
        volatile boolean bodyCut;

        Serving(WatchedProcessor processor, SocketChannel channel) {
            this.processor = processor;
            this.channel = channel;
        }
    }

    /** A connection waiting for its request: since when, and whether the request has begun. */
    private record Waiting(SocketWrapperBase<NioChannel> connection, long waitedNanos, boolean requestBegun) {
    }

    private final ConnectionLimits limits;
    private final Map<Request, Serving> serving = new ConcurrentHashMap<>();
    private final byte[] headerTimeoutAnswer;
    private final byte[] ceilingAnswer;
    private final String slowBodyDetail;
    private volatile int ceiling;
    // touched by the sweep's thread only
    private final Map<Reason, Long> closed = new EnumMap<>(Reason.class);
    private long lastLogNanos = System.nanoTime() - LOG_EVERY_NANOS;

    ConnectionSweep(ConnectionLimits limits) {
        this.limits = limits;
        String header = seconds(limits.headerTimeout());
        this.headerTimeoutAnswer = answer408("the request line and headers did not all arrive within " + header
                + " of their first byte; send the whole request head at once");
        this.ceilingAnswer = answer408("the server is at its connection limit and this request's headers had not"
                + " all arrived yet; send the whole request head at once, and try again");
        long rate = limits.bodyMinRate().toBytes();
        this.slowBodyDetail = "the request body arrived slower than "
                + (rate % 1024 == 0 ? rate / 1024 + " KB" : rate + " bytes") + " a second (after "
                + seconds(limits.bodyTimeout()) + "); send it over a faster link, or lower the server's"
                + " OTA_BODY_MIN_RATE";
    }

    long intervalMillis() {
        return Math.max(100, Math.min(1_000, limits.headerTimeout().toMillis() / 4));
    }

    /** The number of connections it sheds above {@value #SHED_ABOVE} of. */
    void ceiling(int ceiling) {
        this.ceiling = ceiling;
    }

    private long ceiling(NioEndpoint endpoint) {
        return ceiling > 0 ? ceiling : endpoint.getMaxConnections();
    }

    void serving(WatchedProcessor processor, SocketWrapperBase<?> connection) {
        if (connection.getSocket() instanceof NioChannel channel && channel.getIOChannel() != null) {
            serving.put(processor.getRequest(), new Serving(processor, channel.getIOChannel()));
        }
    }

    void served(WatchedProcessor processor) {
        serving.remove(processor.getRequest());
    }

    /** Whether the body of this request, still being served, was cut for arriving too slowly. */
    boolean bodyCut(Request request) {
        Serving current = serving.get(request);
        return current != null && current.bodyCut;
    }

    String slowBodyDetail() {
        return slowBodyDetail;
    }

    /** One pass; answers how long to wait before the next. */
    long sweep(NioEndpoint endpoint) {
        try {
            long now = System.nanoTime();
            cutSlowBodies(now);
            List<Waiting> waiting = closeLateHeads(endpoint, now);
            boolean shedding = shedLongestWaiting(endpoint, waiting, now);
            report(endpoint, now);
            return shedding ? SHEDDING_INTERVAL_MILLIS : intervalMillis();
        } catch (RuntimeException e) {
            // the sweep must go on
            log.warn("connection sweep failed", e);
            return intervalMillis();
        }
    }

    private void cutSlowBodies(long now) {
        for (Serving current : serving.values()) {
            Request request = current.processor.getRequest();
            long start = request.getStartTimeNanos();
            int stage = request.getRequestProcessor().getStage();
            // SERVICE: the application reads the body; ENDINPUT: Tomcat swallows what it did not read
            if (current.bodyCut || start == -1 || (stage != Constants.STAGE_SERVICE && stage != Constants.STAGE_ENDINPUT)
                    || !current.processor.bodyPending()
                    || now - start <= limits.bodyAllowanceNanos(request.getBytesRead())) {
                continue;
            }
            // read without the thread's lock: if it moved on to another request meanwhile, leave that one alone
            if (request.getStartTimeNanos() != start || request.getRequestProcessor().getStage() != stage) {
                continue;
            }
            current.bodyCut = true;
            try {
                // the thread blocked reading the body wakes up at once and reads the end of the stream
                current.channel.shutdownInput();
                count(Reason.SLOW_BODY);
            } catch (IOException e) {
                // closed meanwhile: nothing left to free
            }
        }
    }

    /** Closes the connections whose head is late; answers the others that are waiting, for shedding. */
    private List<Waiting> closeLateHeads(NioEndpoint endpoint, long now) {
        long timeout = limits.headerTimeout().toNanos();
        List<Waiting> waiting = new ArrayList<>();
        for (SocketWrapperBase<NioChannel> connection : endpoint.getConnections()) {
            Lock lock = connection.getLock();
            if (!lock.tryLock()) {
                continue;
            }
            try {
                Waiting state = waiting(connection, now);
                if (state == null) {
                    continue;
                }
                if (state.waitedNanos() > timeout) {
                    close(state, headerTimeoutAnswer);
                    if (state.requestBegun()) {
                        count(Reason.HEADER_TIMEOUT);
                    }
                } else {
                    waiting.add(state);
                }
            } finally {
                lock.unlock();
            }
        }
        return waiting;
    }

    /** Answers whether there were more connections than it sheds above. */
    private boolean shedLongestWaiting(NioEndpoint endpoint, List<Waiting> waiting, long now) {
        long limit = ceiling(endpoint);
        long open = endpoint.getConnectionCount();
        if (limit <= 0 || open <= (long) (limit * SHED_ABOVE)) {
            return false;
        }
        long excess = open - (long) (limit * SHED_TO);
        waiting.sort(Comparator.comparingLong(Waiting::waitedNanos).reversed());
        for (Waiting candidate : waiting) {
            if (excess <= 0) {
                break;
            }
            Lock lock = candidate.connection().getLock();
            if (!lock.tryLock()) {
                continue;
            }
            try {
                Waiting state = waiting(candidate.connection(), now);
                if (state != null) {
                    close(state, ceilingAnswer);
                    count(Reason.CEILING);
                    excess--;
                }
            } finally {
                lock.unlock();
            }
        }
        return true;
    }

    /**
     * The connection's state when it waits for its request, else null. The caller holds the connection's lock, so
     * no request thread is working on it: Tomcat keeps a processor on the connection only while a request head is
     * incomplete (or for an asynchronous or upgraded one, left alone here).
     */
    private static Waiting waiting(SocketWrapperBase<NioChannel> connection, long now) {
        if (connection.isClosed() || !(connection instanceof NioEndpoint.NioSocketWrapper nio)
                || nio.getSendfileData() != null) {
            return null;
        }
        Object processor = connection.getCurrentProcessor();
        if (processor == null) {
            // no request begun: the connection has waited since it connected or since its last answer was written
            long idleMillis = System.currentTimeMillis() - nio.getLastWrite();
            return new Waiting(connection, TimeUnit.MILLISECONDS.toNanos(Math.max(0, idleMillis)), false);
        }
        if (processor instanceof Http11Processor http && !http.isAsync() && !http.isUpgrade()) {
            long start = http.getRequest().getStartTimeNanos();
            if (start != -1) {
                return new Waiting(connection, now - start, true);
            }
        }
        return null;
    }

    /** With the connection's lock held: the answer (when a request had begun and the bytes go out at once), then close. */
    private static void close(Waiting state, byte[] answer) {
        NioChannel socket = state.connection().getSocket();
        SocketChannel channel = socket.getIOChannel();
        if (channel == null || state.connection().isClosed()) {
            return;
        }
        if (state.requestBegun() && !(socket instanceof SecureNioChannel)) {
            try {
                // non-blocking: a client that does not read gets what fits in its socket's buffer, and the close
                channel.write(ByteBuffer.wrap(answer));
            } catch (IOException e) {
                // the client is gone already
            }
        }
        state.connection().close();
    }

    private void count(Reason reason) {
        closed.merge(reason, 1L, Long::sum);
    }

    private void report(NioEndpoint endpoint, long now) {
        if (closed.isEmpty() || now - lastLogNanos < LOG_EVERY_NANOS) {
            return;
        }
        for (Map.Entry<Reason, Long> entry : closed.entrySet()) {
            log.info("closed slow connections count={} reason={} open_connections={} ceiling={}", entry.getValue(),
                    entry.getKey().wire, endpoint.getConnectionCount(), ceiling(endpoint));
        }
        closed.clear();
        lastLogNanos = now;
    }

    private static byte[] answer408(String detail) {
        String body = "{\"type\":\"about:blank\",\"title\":\"Request Timeout\",\"status\":408,\"detail\":\"" + detail
                + "\"}";
        byte[] json = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/problem+json\r\nContent-Length: "
                + json.length + "\r\nConnection: close\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        byte[] answer = new byte[headBytes.length + json.length];
        System.arraycopy(headBytes, 0, answer, 0, headBytes.length);
        System.arraycopy(json, 0, answer, headBytes.length, json.length);
        return answer;
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }
}
