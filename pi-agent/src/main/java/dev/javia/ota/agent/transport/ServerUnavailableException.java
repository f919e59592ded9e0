package dev.javia.ota.agent.transport;

import java.time.Duration;
import java.util.Optional;

/**
 * The server could not be reached or answered 5xx/429: try again later, with backoff, and not before the
 * server's {@code Retry-After} when it sent one. Nothing was refused.
 */
public final class ServerUnavailableException extends RuntimeException {

    private final Duration retryAfter;

    public ServerUnavailableException(String message, Throwable cause) {
        this(message, cause, null);
    }

    public ServerUnavailableException(String message, Throwable cause, Duration retryAfter) {
        super(message, cause);
        this.retryAfter = retryAfter;
    }

    /** How long the server asked to be left alone, when it said. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
