package dev.javia.ota.server.notify;

import org.springframework.stereotype.Component;

import java.util.Map;

/**
 * Tells the operator's webhooks what happened. {@link #publish} only queues the event in the outbox, in the caller's
 * transaction (so an event is sent if and only if what it tells of was committed); a job delivers it later, never
 * on the request path.
 */
@Component
public class Notifications {

    /**
     * Queues an event for every webhook subscribed to its type.
     *
     * @param event one of {@link Events}' names, e.g. {@code rollout.paused}
     * @param text  one or two sentences a person reads as they are in Slack or Teams
     * @param data  the facts behind the text, for programs (ids, versions, counts, the reason); JSON-serializable
     */
    public void publish(String event, String text, Map<String, ?> data) {
        // TODO(webhooks helper): insert into the outbox in the caller's transaction
    }

    /** The event types a webhook can subscribe to. */
    public static final class Events {
        public static final String DEVICE_UPDATE_FAILED = "device.update_failed";
        public static final String PHASE_ADVANCED = "rollout.phase_advanced";
        public static final String ROLLOUT_PAUSED = "rollout.paused";
        public static final String ROLLOUT_FINISHED = "rollout.finished";
        public static final String ROLLOUT_CANCELLED = "rollout.cancelled";
        public static final String APPROVAL_REQUESTED = "rollout.approval_requested";

        private Events() {
        }
    }
}
