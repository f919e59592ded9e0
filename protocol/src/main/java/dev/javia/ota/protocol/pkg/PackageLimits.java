package dev.javia.ota.protocol.pkg;

/**
 * Bounds on what a package may make a reader do; whoever opens a package from elsewhere passes them, so a hostile
 * ZIP cannot fill a disk or exhaust memory.
 *
 * @param maxPackageBytes  size of the ZIP file itself
 * @param maxEntries       entries in its central directory, directories included
 * @param maxUnpackedBytes all files together, uncompressed
 */
public record PackageLimits(long maxPackageBytes, int maxEntries, long maxUnpackedBytes) {

    private static final long MIB = 1024L * 1024L;

    public PackageLimits {
        if (maxPackageBytes <= 0 || maxEntries <= 0 || maxUnpackedBytes <= 0) {
            throw new IllegalArgumentException("package limits must be positive: " + maxPackageBytes + " bytes, "
                    + maxEntries + " entries, " + maxUnpackedBytes + " unpacked bytes");
        }
    }

    /** 512 MiB package, 10,000 entries, 2 GiB unpacked: far above a voice assistant's Python code, far below a Pi's SD card. */
    public static PackageLimits defaults() {
        return new PackageLimits(512 * MIB, 10_000, 2048 * MIB);
    }

    public PackageLimits withMaxPackageBytes(long bytes) {
        return new PackageLimits(bytes, maxEntries, maxUnpackedBytes);
    }
}
