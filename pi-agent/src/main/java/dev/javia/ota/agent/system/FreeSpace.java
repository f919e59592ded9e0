package dev.javia.ota.agent.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How many bytes the agent may still write where a path is (or will be): a real seam, so that a test asks a
 * stand-in that records what was asked instead of filling a disk. The usable space, not the free space: what the
 * filesystem keeps back for root does not count, so an SD card is never filled to its last block.
 */
@FunctionalInterface
public interface FreeSpace {

    FreeSpace REAL = path -> {
        Path existing = path.toAbsolutePath();
        // the staging dir or a release's parent may not exist yet: ask the filesystem it will be made on
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new IllegalStateException("no existing directory above " + path);
        }
        try {
            return Files.getFileStore(existing).getUsableSpace();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot tell the free space on " + existing + ": " + e.getMessage(), e);
        }
    };

    long usableBytes(Path path);

    /** Bytes as an operator reads them in a message: MB (10^6) with one decimal, as {@code df -H} counts. */
    static String mb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1_000_000.0);
    }
}
