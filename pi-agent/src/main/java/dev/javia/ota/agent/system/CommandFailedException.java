package dev.javia.ota.agent.system;

/** A system command failed in a way that ends the update; the message is meant for the operator. */
public class CommandFailedException extends RuntimeException {

    public CommandFailedException(String message) {
        super(message);
    }
}
