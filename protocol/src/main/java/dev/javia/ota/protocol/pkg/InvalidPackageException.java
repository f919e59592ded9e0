package dev.javia.ota.protocol.pkg;

/**
 * A package that must not be installed or accepted. The message says what is wrong and what to do, e.g.
 * "entry '../x' leaves the package: rebuild it with create_update"; it is shown to operators as it is.
 */
public class InvalidPackageException extends RuntimeException {

    public InvalidPackageException(String message) {
        super(message);
    }

    public InvalidPackageException(String message, Throwable cause) {
        super(message, cause);
    }
}
