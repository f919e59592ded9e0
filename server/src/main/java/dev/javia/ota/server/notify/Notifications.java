package dev.javia.ota.server.notify;

import com.github.f4b6a3.uuid.UuidCreator;
import dev.javia.ota.protocol.api.WebhookEvent;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Tells the operator's webhooks what happened. {@link #publish} only queues the event in the outbox, in the caller's
 * transaction (so an event is sent if and only if what it tells of was committed); a job delivers it later, never
 * on the request path.
 */
@Component
public class Notifications {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private final JdbcClient jdbc;
    private final Clock clock;

    Notifications(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /**
     * Queues an event for every webhook subscribed to its type.
     *
     * @param event one of {@link Events}' names, e.g. {@code rollout.paused}
     * @param text  one or two sentences a person reads as they are in Slack or Teams
     * @param data  the facts behind the text, for programs (ids, versions, counts, the reason); JSON-serializable
     */
    @Transactional(propagation = Propagation.REQUIRED)
    public void publish(String event, String text, Map<String, ?> data) {
        if (!Events.ALL.contains(event)) {
            // a caller's mistake, not the operator's: no webhook could have subscribed to it
            throw new IllegalArgumentException("no event type " + event + "; the types are " + Events.ALL);
        }
        UUID id = UuidCreator.getTimeOrderedEpoch();
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        @SuppressWarnings("unchecked")
        String body = JSON.writeValueAsString(new WebhookEvent(id, event, now, text, (Map<String, Object>) data));
        // one row per webhook in one statement; a webhook disabled or deleted later keeps or drops its rows
        jdbc.sql("""
                insert into webhook_deliveries (id, event_id, webhook_id, event_type, body, next_attempt_at, created_at)
                select gen_random_uuid(), :id, w.id, :event, cast(:body as jsonb), :now, :now
                from webhooks w
                where w.enabled and ('*' = any(w.events) or :event = any(w.events))
                """)
                .param("id", id).param("event", event).param("body", body)
                .param("now", java.sql.Timestamp.from(now))
                .update();
    }

    /** The event types a webhook can subscribe to. */
    public static final class Events {
        public static final String DEVICE_UPDATE_FAILED = "device.update_failed";
        public static final String PHASE_ADVANCED = "rollout.phase_advanced";
        public static final String ROLLOUT_PAUSED = "rollout.paused";
        public static final String ROLLOUT_FINISHED = "rollout.finished";
        public static final String ROLLOUT_CANCELLED = "rollout.cancelled";
        public static final String APPROVAL_REQUESTED = "rollout.approval_requested";

        /** Every type, in the order the documentation lists them. */
        public static final List<String> ALL = List.of(DEVICE_UPDATE_FAILED, PHASE_ADVANCED, ROLLOUT_PAUSED,
                ROLLOUT_FINISHED, ROLLOUT_CANCELLED, APPROVAL_REQUESTED);

        private Events() {
        }
    }
}
