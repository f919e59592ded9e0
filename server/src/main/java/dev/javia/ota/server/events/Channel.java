package dev.javia.ota.server.events;

/**
 * One PostgreSQL notification channel the {@link DatabaseListener} listens on for a part of the server. Its calls
 * come on the listener's one thread, so each must return quickly.
 */
public interface Channel {

    /** The channel's name, as {@code LISTEN} and {@code pg_notify} spell it. */
    String name();

    /** One notification's payload, as the sender wrote it: hostile until parsed. */
    void received(String payload);

    /**
     * The listener listens (again): notifications sent while it did not were lost, so whatever was derived from them
     * must be read again.
     */
    default void listening() {
    }

    /** The listener lost its connection (or stops): nothing sent from now on reaches this channel until {@link #listening()}. */
    default void notListening() {
    }
}
