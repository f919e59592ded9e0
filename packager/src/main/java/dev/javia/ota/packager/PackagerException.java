package dev.javia.ota.packager;

/** A failure the operator can act on: the message says what to fix, the exit code what kind of failure it was. */
final class PackagerException extends RuntimeException {

    /** The command line, the source directory or the settings need fixing. */
    static final int BAD_INPUT = 2;
    /** The server refused the update (version not newer, package refused or too large). */
    static final int REFUSED = 3;
    /** The server refused the admin key. */
    static final int KEY_REFUSED = 4;
    /** The server could not be reached or failed; trying again later may work. */
    static final int UNAVAILABLE = 5;

    private final int exitCode;

    PackagerException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    PackagerException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    static PackagerException badInput(String message) {
        return new PackagerException(BAD_INPUT, message);
    }

    int exitCode() {
        return exitCode;
    }
}
