package dev.javia.ota.protocol.pkg;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * One file of the package as {@code update_metadata.json} lists it.
 *
 * @param path   relative to {@code pi_client/}, with '/' separators, e.g. {@code audio/player.py}
 * @param size   bytes, uncompressed
 * @param sha256 lower-case hex of the uncompressed content
 * @param mode   {@value #REGULAR} or {@value #EXECUTABLE}; nothing else is accepted, so no package can carry
 *               setuid bits or world-writable files
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ManifestEntry(String path, long size, String sha256, String mode) {

    public static final String REGULAR = "0644";
    public static final String EXECUTABLE = "0755";

    public boolean executable() {
        return EXECUTABLE.equals(mode);
    }

    /** The name of this file's entry in the ZIP. */
    public String entryName() {
        return PackageLayout.APP_DIR + path;
    }
}
