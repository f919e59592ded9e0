package dev.javia.ota.protocol.pkg;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * Decides whether a ZIP is an update package that may be stored or installed, without trusting anything in it.
 * The server runs it on every upload, the agent on every download, the packager on what it built.
 *
 * <p>Refused, each with a message that says what to do: a file that is not a ZIP, a ZIP over the size or entry
 * limits, an entry outside {@code update_metadata.json} and {@code pi_client/**}, an absolute path, a {@code ..}
 * segment, a backslash, a duplicate name, a symbolic link entry, an encrypted entry, metadata that does not parse or
 * has no valid version, a manifest file missing from the ZIP or a file missing from the manifest, a size or SHA-256
 * that differs from the manifest (counted as the bytes are inflated, so a size lie cannot inflate without end), a
 * {@code pi_client/VERSION} that differs from the metadata, and system package names Debian would not accept.
 *
 * <p>The ZIP is streamed entry by entry; memory use does not grow with its size.
 */
public final class PackageInspector {

    private PackageInspector() {
    }

    /**
     * @return the package's metadata, once every check has passed
     * @throws InvalidPackageException when a check fails, or the file cannot be read (the cause is then the
     *                                 {@link IOException})
     */
    public static UpdateMetadata inspect(Path zip, PackageLimits limits) {
        try (PackageReader reader = PackageReader.open(zip, limits)) {
            reader.readFiles((entry, content) -> content.transferTo(OutputStream.nullOutputStream()));
            return reader.metadata();
        } catch (IOException e) {
            throw new InvalidPackageException("could not read the package '" + zip + "' (" + e.getMessage()
                    + "): check the file, or build it again with create_update", e);
        }
    }
}
