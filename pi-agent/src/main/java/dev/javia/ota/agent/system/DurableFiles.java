package dev.javia.ota.agent.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes that survive a power cut whole or not at all: a temporary file in the same directory, fsync, one
 * {@code rename(2)} over the target, fsync of the directory. The reader sees the old content or the new one.
 */
public final class DurableFiles {

    public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> WORLD_READABLE = PosixFilePermissions.fromString("rw-r--r--");

    private DurableFiles() {
    }

    public static void write(Path target, byte[] content, Set<PosixFilePermission> permissions) {
        Path dir = target.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            // created with its final mode: a token is never readable by others, not even for a moment
            Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp",
                    PosixFilePermissions.asFileAttribute(permissions));
            try {
                try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                    ByteBuffer buffer = ByteBuffer.wrap(content);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                    channel.force(true);
                }
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
            fsyncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Points {@code link} at {@code target} with one rename of a new link made beside it: a reader of the link sees
     * the old target or the new one, never no link at all (delete-then-create fails readers; FIELD-NOTES).
     */
    public static void replaceSymlink(Path link, Path target) {
        Path dir = link.toAbsolutePath().getParent();
        try {
            Path temp = null;
            for (int attempt = 0; temp == null; attempt++) {
                Path candidate = dir.resolve("." + link.getFileName() + "." + ThreadLocalRandom.current().nextInt(1 << 30)
                        + ".tmp");
                try {
                    temp = Files.createSymbolicLink(candidate, target);
                } catch (FileAlreadyExistsException e) {
                    if (attempt > 10) {
                        throw e;
                    }
                }
            }
            try {
                Files.move(temp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
            fsyncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot point " + link + " at " + target + ": " + e.getMessage(), e);
        }
    }

    /** Makes a rename or a new entry in {@code dir} durable (Linux: fsync on the directory). */
    public static void fsyncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync directory " + dir + ": " + e.getMessage(), e);
        }
    }
}
