package dev.javia.ota.server.dashboard;

import dev.javia.ota.server.events.FleetEvent;
import dev.javia.ota.server.events.FleetEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import java.io.IOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The dashboard's open streams on this instance, and what each is told. A stream says only which kind of thing
 * changed ({@code fleet}, {@code device}, {@code rollout}, {@code audit}, {@code webhook}); the page fetches the
 * fragments that show it. Changes are gathered and sent at most every {@link #FLUSH_MILLIS}, so that a burst of a
 * thousand reports is one message per stream; a stream quiet for {@link #KEEP_ALIVE} gets a comment, which keeps
 * proxies from closing it and finds the clients that left.
 */
@Component
class StreamHub implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(StreamHub.class);
    static final long FLUSH_MILLIS = 250;
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(20);
    /** A stream ends after this and the browser opens it again (EventSource does so by itself). */
    private static final Duration LIFETIME = Duration.ofMinutes(30);

    private final FleetEvents events;
    private final int maxStreams;
    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService flusher;
    /** Writes to the streams: a client that reads slowly holds one of these, not the flusher. */
    private ExecutorService writers;
    private AutoCloseable following;
    private volatile boolean running;

    StreamHub(FleetEvents events, @Value("${ota.dashboard.max-streams:10000}") int maxStreams) {
        this.events = events;
        this.maxStreams = maxStreams;
    }

    /**
     * A new stream for a page that follows {@code device} (a device's uuid) or {@code rollout} (an id), or neither;
     * null when this instance holds as many as it may.
     */
    SseEmitter open(String device, String rollout) {
        if (streams.size() >= maxStreams) {
            return null;
        }
        SseEmitter emitter = new SseEmitter(LIFETIME.toMillis());
        Stream stream = new Stream(emitter, device, rollout);
        streams.add(stream);
        emitter.onCompletion(() -> streams.remove(stream));
        emitter.onTimeout(() -> streams.remove(stream));
        emitter.onError(error -> streams.remove(stream));
        // the first message says the stream is open, and whether changes reach this instance at all
        stream.pending.add(events.isListening() ? Topic.OPEN : Topic.NOT_LIVE);
        stream.dirty.set(true);
        return emitter;
    }

    int size() {
        return streams.size();
    }

    private void heard(FleetEvent event) {
        for (Stream stream : streams) {
            EnumSet<Topic> topics = stream.topics(event);
            if (!topics.isEmpty()) {
                synchronized (stream.pending) {
                    // the latest word on whether the page is live is the one that counts
                    if (topics.contains(Topic.OPEN)) {
                        stream.pending.remove(Topic.NOT_LIVE);
                    } else if (topics.contains(Topic.NOT_LIVE)) {
                        stream.pending.remove(Topic.OPEN);
                    }
                    stream.pending.addAll(topics);
                }
                stream.dirty.set(true);
            }
        }
    }

    private void flush() {
        long now = System.nanoTime();
        for (Stream stream : streams) {
            boolean quiet = now - stream.lastSent > KEEP_ALIVE.toNanos();
            if ((stream.dirty.get() || quiet) && stream.writing.compareAndSet(false, true)) {
                writers.execute(() -> write(stream));
            }
        }
    }

    private void write(Stream stream) {
        try {
            EnumSet<Topic> topics;
            synchronized (stream.pending) {
                topics = EnumSet.copyOf(stream.pending.isEmpty() ? EnumSet.of(Topic.OPEN) : stream.pending);
                stream.pending.clear();
            }
            boolean dirty = stream.dirty.getAndSet(false);
            if (dirty) {
                for (Topic topic : topics) {
                    stream.emitter.send(SseEmitter.event().name(topic.event).data(topic.data(stream)));
                }
            } else {
                stream.emitter.send(SseEmitter.event().comment("keep-alive"));
            }
            stream.lastSent = System.nanoTime();
        } catch (IOException | IllegalStateException e) {
            // the browser went away: its stream is done
            streams.remove(stream);
            stream.emitter.completeWithError(e);
        } finally {
            stream.writing.set(false);
        }
    }

    @Override
    public synchronized void start() {
        flusher = Executors.newSingleThreadScheduledExecutor(daemon("dashboard-streams"));
        writers = Executors.newFixedThreadPool(4, daemon("dashboard-stream-writer"));
        following = events.follow(this::heard);
        flusher.scheduleWithFixedDelay(this::flush, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
        running = true;
    }

    @Override
    public synchronized void stop() {
        running = false;
        try {
            following.close();
        } catch (Exception e) {
            log.debug("could not stop following fleet events", e);
        }
        flusher.shutdownNow();
        writers.shutdownNow();
        streams.forEach(stream -> stream.emitter.complete());
        streams.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** The events a stream sends: the SSE event's name, which pages name in {@code hx-trigger="sse:NAME"}. */
    enum Topic {
        /** The stream is open and live. */
        OPEN("open"),
        /** The stream is open, but this instance hears no changes now: the page says it is not live. */
        NOT_LIVE("not-live"),
        /** Anything in the fleet: counts, lists, rollouts' bars. */
        FLEET("fleet"),
        /** The page's device. */
        DEVICE("device"),
        /** The page's rollout, or any rollout for a page that names none. */
        ROLLOUT("rollout"),
        AUDIT("audit"),
        WEBHOOK("webhook");

        final String event;

        Topic(String event) {
            this.event = event;
        }

        String data(Stream stream) {
            return switch (this) {
                case DEVICE -> stream.device;
                case ROLLOUT -> stream.rollout == null ? "" : stream.rollout;
                default -> "";
            };
        }
    }

    private static final class Stream {

        final SseEmitter emitter;
        final String device;
        final String rollout;
        final EnumSet<Topic> pending = EnumSet.noneOf(Topic.class);
        final AtomicBoolean dirty = new AtomicBoolean();
        final AtomicBoolean writing = new AtomicBoolean();
        volatile long lastSent = System.nanoTime();

        Stream(SseEmitter emitter, String device, String rollout) {
            this.emitter = emitter;
            this.device = device;
            this.rollout = rollout;
        }

        EnumSet<Topic> topics(FleetEvent event) {
            EnumSet<Topic> topics = EnumSet.noneOf(Topic.class);
            switch (event.kind()) {
                case DEVICE -> {
                    topics.add(Topic.FLEET);
                    if (device != null && device.equalsIgnoreCase(event.id())) {
                        topics.add(Topic.DEVICE);
                    }
                }
                case FLEET, UPDATE -> {
                    topics.add(Topic.FLEET);
                    if (device != null) {
                        topics.add(Topic.DEVICE);
                    }
                }
                case ROLLOUT -> {
                    topics.add(Topic.FLEET);
                    if (rollout == null || rollout.equalsIgnoreCase(event.id())) {
                        topics.add(Topic.ROLLOUT);
                    }
                }
                case AUDIT -> topics.add(Topic.AUDIT);
                case WEBHOOK -> topics.add(Topic.WEBHOOK);
                case LOST -> topics.add(Topic.NOT_LIVE);
                case RESYNC -> {
                    topics.add(Topic.OPEN);
                    topics.addAll(EnumSet.of(Topic.FLEET, Topic.ROLLOUT, Topic.AUDIT, Topic.WEBHOOK));
                    if (device != null) {
                        topics.add(Topic.DEVICE);
                    }
                }
            }
            return topics;
        }
    }
}
