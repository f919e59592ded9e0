package dev.javia.ota.server.events;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The fleet's changes, from whichever instance wrote them, to the followers in this one: the dashboard's streams and
 * the devices' push channel. Most are sent by triggers in the writer's transaction (db/migration/V13), the rest by
 * {@link #publish}; each arrives once its transaction committed, on the listener's thread, so a follower must return
 * quickly (note what changed, act elsewhere).
 */
@Component
public class FleetEvents implements Channel {

    /** The PostgreSQL channel; the payload is {@code kind} or {@code kind:id} ({@link FleetEvent}). */
    public static final String CHANNEL = "ota_events";

    private static final Logger log = LoggerFactory.getLogger(FleetEvents.class);

    private final JdbcClient jdbc;
    private final CopyOnWriteArrayList<Consumer<FleetEvent>> followers = new CopyOnWriteArrayList<>();
    private volatile boolean listening;

    FleetEvents(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Tells every instance, once the current transaction commits (at once without one), that something changed. */
    public void publish(FleetEvent.Kind kind, String id) {
        FleetEvent event = new FleetEvent(kind, id);
        if (FleetEvent.parse(event.payload()) == null) {
            throw new IllegalArgumentException("not an event a writer sends: " + event);
        }
        jdbc.sql("select pg_notify(?, ?)").params(CHANNEL, event.payload()).query(rs -> {
        });
    }

    /** Calls {@code follower} with every event from now on, until the returned handle is closed. */
    public AutoCloseable follow(Consumer<FleetEvent> follower) {
        followers.add(follower);
        return () -> followers.remove(follower);
    }

    /** Whether changes reach this instance now; when not, followers hear of them only after a {@code RESYNC}. */
    public boolean isListening() {
        return listening;
    }

    @Override
    public String name() {
        return CHANNEL;
    }

    @Override
    public void received(String payload) {
        FleetEvent event = FleetEvent.parse(payload);
        if (event == null) {
            log.debug("ignored a notification on {} that names no event: {}", CHANNEL, payload);
            return;
        }
        tell(event);
    }

    @Override
    public void listening() {
        listening = true;
        tell(FleetEvent.RESYNC);
    }

    @Override
    public void notListening() {
        if (listening) {
            listening = false;
            tell(FleetEvent.LOST);
        }
    }

    private void tell(FleetEvent event) {
        for (Consumer<FleetEvent> follower : followers) {
            try {
                follower.accept(event);
            } catch (RuntimeException e) {
                // one follower's fault must not starve the others, nor stop the listener
                log.warn("a follower of fleet events failed on {}: {}", event.payload(), e.toString());
            }
        }
    }
}
