package dev.javia.ota.agent.transport;

/**
 * The server answered 4xx: the request will not succeed by repeating it. Carries the status and the problem
 * detail ({@code title}, {@code detail}) of the RFC 9457 body.
 */
public final class ServerRejectedException extends RuntimeException {

    private final int status;

    public ServerRejectedException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** 401: the device token is wrong or unknown; registering again fixes it. */
    public boolean unauthorized() {
        return status == 401;
    }

    /** 409: the transition was refused, e.g. the update was superseded. */
    public boolean conflict() {
        return status == 409;
    }

    /** 404 or 410: what was asked for is not there (any more). */
    public boolean gone() {
        return status == 404 || status == 410;
    }
}
