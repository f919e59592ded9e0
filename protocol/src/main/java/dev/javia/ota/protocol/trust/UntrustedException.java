package dev.javia.ota.protocol.trust;

/**
 * A signature that does not make what it signs trusted: missing, by a key that is not pinned, or not verifying. The
 * message says which, and what to do.
 */
public class UntrustedException extends RuntimeException {

    public UntrustedException(String message) {
        super(message);
    }
}
