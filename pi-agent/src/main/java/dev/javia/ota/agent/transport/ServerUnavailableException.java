package dev.javia.ota.agent.transport;

/** The server could not be reached or answered 5xx/429: try again later, with backoff. Nothing was refused. */
public final class ServerUnavailableException extends RuntimeException {

    public ServerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
