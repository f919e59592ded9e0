package dev.javia.ota.protocol.pkg;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * Decides whether a ZIP is an update package that may be stored or installed, without trusting anything in it.
 * The server runs it on every upload, the agent on every download, the packager on what it built; all three with
 * the same {@link PackageLimits}, so what one accepts the others can read.
 *
 * <p>Refused, each with a message that says what to do: a file that is not a ZIP or is beyond the limits (size,
 * entries, directories, name length, central directory, metadata, unpacked size); a ZIP that two readers could read
 * differently (bytes before, between or after its entries, overlapping entries, a local header or data descriptor
 * that disagrees with the central directory, comments, ZIP64, several disks, unknown flags, a name beyond ASCII
 * without the UTF-8 flag or with a second name in an extra field, deflated data that ends before or after its
 * compressed size, a wrong CRC-32); an entry outside {@code update_metadata.json} and {@code pi_client/**}, an
 * absolute path, a {@code ..} segment, a backslash, a control character, a name too long or too deep for the
 * device, a duplicate, names that differ only by case or Unicode normalization, a file that is also a directory;
 * a symbolic link, device file, FIFO or socket, setuid, setgid or sticky bits, data in a directory entry; an
 * encrypted entry or a compression other than stored and deflated; metadata that does not parse, gives a property
 * twice, is beyond the JSON bounds or has no valid version; a manifest file missing from the ZIP or a file missing
 * from the manifest, a size or SHA-256 that differs from the manifest (counted as the bytes are inflated, so a size
 * lie cannot inflate without end), a {@code pi_client/VERSION} that differs from the metadata, and system package
 * names Debian would not accept. The corpus of {@code HostilePackagesTests} has one package for each.
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
        return inspect(zip, limits, PackageTrust.none());
    }

    /**
     * As {@link #inspect(Path, PackageLimits)}, and refuses a package that {@code trust} does not verify, before its
     * metadata is parsed.
     */
    public static UpdateMetadata inspect(Path zip, PackageLimits limits, PackageTrust trust) {
        try (PackageReader reader = PackageReader.open(zip, limits, trust)) {
            reader.readFiles((entry, content) -> content.transferTo(OutputStream.nullOutputStream()));
            reader.readAgentFiles((entry, content) -> content.transferTo(OutputStream.nullOutputStream()));
            return reader.metadata();
        } catch (IOException e) {
            throw new InvalidPackageException("could not read the package '" + zip + "' (" + e.getMessage()
                    + "): check the file, or build it again with create_update", e);
        }
    }
}
