package dev.javia.ota.protocol.delta;

import dev.javia.ota.protocol.pkg.InvalidPackageException;

/**
 * The installed release is not the delta's base: a file it takes from there differs from the base manifest, or is
 * missing (the release was changed on the device). The delta itself may be fine; the agent installs the full package
 * instead. The message names the file and says so.
 */
public class DeltaMismatchException extends InvalidPackageException {

    public DeltaMismatchException(String message) {
        super(message);
    }
}
