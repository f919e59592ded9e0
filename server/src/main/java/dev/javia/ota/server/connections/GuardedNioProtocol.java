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
 * heap: {@code max-connections}, lowered to what a quarter of the heap holds when that is less. A connection waiting
 * in the middle of its request head holds Tomcat's processor and buffers, {@value #HEAP_PER_CONNECTION} bytes
 * (bench/slow-clients.sh measured 53 KB), and a heap they fill ends the server ({@code ExitOnOutOfMemoryError}).
 * Public, with a public constructor, because Tomcat creates its protocol from the class name
 * ({@code factory.setProtocol(...)}).
 */
public class GuardedNioProtocol extends Http11NioProtocol {

    private static final Logger log = LoggerFactory.getLogger(GuardedNioProtocol.class);
    static final long HEAP_PER_CONNECTION = 56 * 1024;
    /** Descriptors the server needs besides its connections: jars, the database pool, packages being served. */
    private static final int OTHER_DESCRIPTORS = 1_000;

    private volatile ConnectionSweep sweep;
    private ScheduledFuture<?> sweeping;

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
            fitCeiling();
        }
        super.start();
        if (guard != null) {
            NioEndpoint endpoint = (NioEndpoint) getEndpoint();
            long every = guard.intervalMillis();
            // Tomcat's own utility thread; the sweep never blocks (it only tries each connection's lock)
            sweeping = getUtilityExecutor().scheduleWithFixedDelay(() -> guard.sweep(endpoint), every, every,
                    TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void stop() throws Exception {
        if (sweeping != null) {
            sweeping.cancel(false);
            sweeping = null;
        }
        super.stop();
    }

    /**
     * Lowers the ceiling to what the heap holds, and says what it is in one line; warns when the open-file limit is
     * below it (accepting then fails and Tomcat backs off, so the ceiling is never reached).
     */
    private void fitCeiling() {
        long heap = Runtime.getRuntime().maxMemory();
        int configured = getMaxConnections();
        int ceiling = (int) Math.min(configured > 0 ? configured : Integer.MAX_VALUE, heap / 4 / HEAP_PER_CONNECTION);
        if (ceiling != configured) {
            setMaxConnections(ceiling);
        }
        log.info("connection ceiling connections={} shedding_above={} max_connections={} heap_mb={}{}", ceiling,
                (long) (ceiling * ConnectionSweep.SHED_ABOVE), configured, heap >> 20, ceiling < configured
                        ? " (lowered to what a quarter of the heap holds: give the JVM more heap for more)" : "");
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os
                && ceiling + OTHER_DESCRIPTORS > os.getMaxFileDescriptorCount()) {
            log.warn("the open-file limit {} is too low for {} connections: raise it (LimitNOFILE=65536 in the"
                    + " systemd unit, or ulimit -n) or lower OTA_MAX_CONNECTIONS", os.getMaxFileDescriptorCount(),
                    ceiling);
        }
    }
}
