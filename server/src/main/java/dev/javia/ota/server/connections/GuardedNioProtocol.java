package dev.javia.ota.server.connections;

import com.sun.management.UnixOperatingSystemMXBean;
import org.apache.coyote.Processor;
import org.apache.coyote.http11.Http11NioProtocol;
import org.apache.tomcat.util.net.NioEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Tomcat's NIO connector with the {@link ConnectionSweep} running over its connections, and a ceiling that fits the
 * heap. A connection waiting in the middle of its request head holds Tomcat's processor and buffers,
 * {@value #HEAP_PER_CONNECTION} bytes (bench/slow-clients.sh measured 53-57 KB), and a heap they fill ends the server
 * ({@code ExitOnOutOfMemoryError}). So the ceiling the sweep sheds below is {@code max-connections}, lowered to what
 * a quarter of the heap holds when that is less; and Tomcat accepts up to twice that (never more than
 * {@code max-connections}): the room between the two keeps new clients out of the accept queue while the sweep
 * sheds, where they would wait behind slow clients that reconnect as fast as they are shed.
 * Public, with a public constructor, because Tomcat creates its protocol from the class name
 * ({@code factory.setProtocol(...)}).
 */
public class GuardedNioProtocol extends Http11NioProtocol {

    private static final Logger log = LoggerFactory.getLogger(GuardedNioProtocol.class);
    static final long HEAP_PER_CONNECTION = 56 * 1024;
    /** Descriptors the server needs besides its connections: jars, the database pool, packages being served. */
    private static final int OTHER_DESCRIPTORS = 1_000;

    private volatile ConnectionSweep sweep;
    private volatile ScheduledFuture<?> sweeping;
    private volatile boolean started;

    void guardWith(ConnectionSweep sweep) {
        this.sweep = sweep;
    }

    ConnectionSweep sweep() {
        return sweep;
    }

    @Override
    protected Processor createProcessor() {
        return new WatchedProcessor(this, getAdapter());
    }

    @Override
    public void start() throws Exception {
        ConnectionSweep guard = sweep;
        if (guard != null) {
            fitCeiling(guard);
        }
        super.start();
        if (guard != null) {
            started = true;
            scheduleSweep(guard, guard.intervalMillis());
        }
    }

    /** On Tomcat's own utility thread; the sweep never blocks (it only tries each connection's lock). */
    private void scheduleSweep(ConnectionSweep guard, long delayMillis) {
        NioEndpoint endpoint = (NioEndpoint) getEndpoint();
        sweeping = getUtilityExecutor().schedule(() -> {
            long next = guard.intervalMillis();
            try {
                next = guard.sweep(endpoint);
            } finally {
                // whatever happened in this pass, the next one comes
                if (started) {
                    scheduleSweep(guard, next);
                }
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() throws Exception {
        started = false;
        ScheduledFuture<?> pending = sweeping;
        if (pending != null) {
            pending.cancel(false);
        }
        super.stop();
    }

    /**
     * Sets the ceiling and what Tomcat accepts (see the class comment) and says both in one line; warns when the
     * open-file limit is below what Tomcat accepts (accepting then fails and Tomcat backs off).
     */
    private void fitCeiling(ConnectionSweep guard) {
        long heap = Runtime.getRuntime().maxMemory();
        int configured = getMaxConnections() > 0 ? getMaxConnections() : Integer.MAX_VALUE;
        int ceiling = (int) Math.min(configured, heap / 4 / HEAP_PER_CONNECTION);
        int accepted = (int) Math.min(configured, 2L * ceiling);
        guard.ceiling(ceiling);
        setMaxConnections(accepted);
        log.info("connection ceiling connections={} shedding_above={} accepting_at_most={} heap_mb={}{}", ceiling,
                (long) (ceiling * ConnectionSweep.SHED_ABOVE), accepted, heap >> 20, ceiling < configured
                        ? " (what a quarter of the heap holds, under max_connections=" + configured
                        + ": give the JVM more heap for more)" : "");
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os
                && accepted + OTHER_DESCRIPTORS > os.getMaxFileDescriptorCount()) {
            log.warn("the open-file limit {} is too low for {} connections: raise it (LimitNOFILE=65536 in the"
                    + " systemd unit, or ulimit -n) or lower OTA_MAX_CONNECTIONS", os.getMaxFileDescriptorCount(),
                    accepted);
        }
    }
}
