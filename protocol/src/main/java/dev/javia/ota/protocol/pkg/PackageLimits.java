package dev.javia.ota.protocol.pkg;

import tools.jackson.core.StreamReadConstraints;

/**
 * Bounds on what a package may make a reader do. Every reader of a package from elsewhere passes them (the server
 * at upload, the agent when it verifies and extracts, the packager on what it built), so a hostile ZIP can neither
 * fill a disk nor exhaust memory, and what the server accepts an agent can read: only {@link #maxPackageBytes} is a
 * setting ({@code OTA_MAX_PACKAGE_SIZE}, {@code MAX_PACKAGE_MB}), and it bounds disk, not memory.
 *
 * <p>What a reader holds in memory grows with {@link #maxDirectoryBytes} (one small record per entry) and
 * {@link #maxMetadataBytes} (the parsed manifest), never with the package's size: file contents are streamed. With
 * the defaults the worst package they allow is read in well under the agent's 64 MB heap ({@code AgentHeapTests}).
 * ZIP64 is refused: within these bounds no package needs it.
 *
 * @param maxPackageBytes   size of the ZIP file itself
 * @param maxEntries        entries in its central directory, directories included; also the most directories its
 *                          paths may imply
 * @param maxUnpackedBytes  all files together, uncompressed
 * @param maxNameBytes      one entry name, in UTF-8 bytes (a manifest path plus {@code pi_client/})
 * @param maxDirectoryBytes the ZIP's central directory, all records together
 * @param maxMetadataBytes  {@code update_metadata.json}, uncompressed
 */
public record PackageLimits(long maxPackageBytes, int maxEntries, long maxUnpackedBytes, int maxNameBytes,
                            long maxDirectoryBytes, long maxMetadataBytes) {

    private static final long MIB = 1024L * 1024L;
    /** Beyond this a package would need ZIP64 (entry sizes, offsets, counts past 32 or 16 bits). */
    private static final long MAX_WITHOUT_ZIP64 = 3072 * MIB;
    private static final int MAX_ENTRIES_WITHOUT_ZIP64 = 0xFFFF;
    /** Tokens one manifest entry may take (ten today: its braces and four fields), with room for new fields. */
    private static final int TOKENS_PER_ENTRY = 20;
    private static final int TOKENS_BESIDE_ENTRIES = 10_000;
    /** The longest JSON string: a description is at most 2,000 characters, a path {@link #maxNameBytes}. */
    private static final int MAX_JSON_STRING = 64 * 1024;
    private static final int MAX_JSON_NAME = 256;
    private static final int MAX_JSON_NUMBER = 32;
    private static final int MAX_JSON_DEPTH = 32;

    public PackageLimits {
        if (maxPackageBytes <= 0 || maxEntries <= 0 || maxUnpackedBytes <= 0 || maxNameBytes <= 0
                || maxDirectoryBytes <= 0 || maxMetadataBytes <= 0) {
            throw new IllegalArgumentException("package limits must be positive: " + maxPackageBytes + " bytes, "
                    + maxEntries + " entries, " + maxUnpackedBytes + " unpacked bytes, " + maxNameBytes
                    + " name bytes, " + maxDirectoryBytes + " directory bytes, " + maxMetadataBytes
                    + " metadata bytes");
        }
        if (maxUnpackedBytes > MAX_WITHOUT_ZIP64 || maxEntries >= MAX_ENTRIES_WITHOUT_ZIP64
                || maxMetadataBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("package limits of " + maxUnpackedBytes + " unpacked bytes or "
                    + maxEntries + " entries would need ZIP64, which packages never use: at most " + MAX_WITHOUT_ZIP64
                    + " bytes and " + (MAX_ENTRIES_WITHOUT_ZIP64 - 1) + " entries");
        }
    }

    /**
     * 512 MiB package, 10,000 entries, 2 GiB unpacked, names of 1 KiB, a 4 MiB central directory and 4 MiB of
     * metadata: a voice assistant's Python code has hundreds to a few thousand files (the manifest of 10,000 files
     * with 100-byte paths is 2.6 MB), and all of it is far below a Pi's SD card and the agent's heap.
     */
    public static PackageLimits defaults() {
        return new PackageLimits(512 * MIB, 10_000, 2048 * MIB, 1024, 4 * MIB, 4 * MIB);
    }

    public PackageLimits withMaxPackageBytes(long bytes) {
        return new PackageLimits(bytes, maxEntries, maxUnpackedBytes, maxNameBytes, maxDirectoryBytes,
                maxMetadataBytes);
    }

    public PackageLimits withMaxEntries(int entries) {
        return new PackageLimits(maxPackageBytes, entries, maxUnpackedBytes, maxNameBytes, maxDirectoryBytes,
                maxMetadataBytes);
    }

    public PackageLimits withMaxUnpackedBytes(long bytes) {
        return new PackageLimits(maxPackageBytes, maxEntries, bytes, maxNameBytes, maxDirectoryBytes,
                maxMetadataBytes);
    }

    /**
     * What the JSON parser of {@code update_metadata.json} may do: no document longer than
     * {@link #maxMetadataBytes}, no more tokens than a manifest of {@link #maxEntries} files needs (each token can
     * become an object: the count bounds the memory the parse takes, which the byte count alone does not), and
     * strings, names, numbers and nesting far beyond what the format has. Public for the delta package, whose
     * {@code delta.json} is read within the same bounds.
     */
    public StreamReadConstraints metadataConstraints() {
        return StreamReadConstraints.builder()
                .maxDocumentLength(maxMetadataBytes)
                .maxTokenCount((long) TOKENS_PER_ENTRY * maxEntries + TOKENS_BESIDE_ENTRIES)
                .maxStringLength(Math.max(MAX_JSON_STRING, maxNameBytes))
                .maxNameLength(MAX_JSON_NAME)
                .maxNumberLength(MAX_JSON_NUMBER)
                .maxNestingDepth(MAX_JSON_DEPTH)
                .build();
    }
}
