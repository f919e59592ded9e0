package dev.javia.ota.protocol.api;

/**
 * Where a device message (heartbeat or status report) stands among the messages one agent run sent: {@code runId}
 * names the run (a random id the agent picks when it starts), {@code seq} counts its messages from 1 upwards in
 * the order they were made. Heartbeats and reports travel on separate requests, and on separate threads during an
 * install, so the server may receive them in another order; within one run it judges "which is newer" by
 * {@code seq}, never by arrival. Across runs (a restart starts a new run, and the counter again at 1) and for
 * agents that send no order, it judges by the time it received each message. Nothing needs to survive a restart.
 */
public record MessageOrder(String runId, long seq) {

    /** The longest run id the server stores. */
    public static final int MAX_RUN_ID = 64;

    public MessageOrder {
        if (runId == null || runId.isBlank() || runId.length() > MAX_RUN_ID) {
            throw new IllegalArgumentException("run_id must be 1 to " + MAX_RUN_ID + " characters");
        }
        if (seq < 0) {
            throw new IllegalArgumentException("seq must not be negative");
        }
    }
}
