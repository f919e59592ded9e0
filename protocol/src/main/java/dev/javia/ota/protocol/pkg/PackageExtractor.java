package dev.javia.ota.protocol.pkg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes the files of {@code pi_client/} into a release directory. The package is checked as a whole first (see
 * {@link PackageInspector}); no byte is written unless its structure, metadata and manifest are right, and each file's
 * size and SHA-256 are verified as it is written. Modes come from the manifest only ({@code 0644} or {@code 0755};
 * {@code java.util.zip} sets no modes of its own), files and directories are fsynced, and on any failure everything
 * written so far is deleted: a release directory either is complete and verified or does not exist.
 */
public final class PackageExtractor {

    private static final Set<PosixFilePermission> REGULAR = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("rwxr-xr-x");

    private PackageExtractor() {
    }

    /**
     * @param targetDir created if absent; if present it must be an empty directory
     * @return the package's metadata
     * @throws IllegalArgumentException when {@code targetDir} exists and is not an empty directory (nothing is
     *                                  touched then)
     * @throws InvalidPackageException  when the package is refused, or reading or writing fails (the cause is then
     *                                  the {@link IOException}, e.g. a full disk); nothing written remains
     */
    public static UpdateMetadata extract(Path zip, Path targetDir, PackageLimits limits) {
        return extract(zip, targetDir, limits, PackageTrust.none());
    }

    /** As {@link #extract(Path, Path, PackageLimits)}; nothing is written unless {@code trust} verifies the package. */
    public static UpdateMetadata extract(Path zip, Path targetDir, PackageLimits limits, PackageTrust trust) {
        boolean created = prepareTarget(targetDir);
        Release release = new Release(targetDir);
        try (PackageReader reader = PackageReader.open(zip, limits, trust)) {
            for (String directory : reader.directories()) {
                release.directory(directory);
            }
            reader.readFiles(release::write);
            release.sync();
            return reader.metadata();
        } catch (RuntimeException e) {
            release.discard(created);
            throw e;
        } catch (IOException e) {
            release.discard(created);
            throw new InvalidPackageException("could not extract '" + zip + "' into '" + targetDir + "' ("
                    + e.getMessage() + "): check free space and permissions there, then try again", e);
        }
    }

    /**
     * Writes the agent release of {@code javia_agent/} into {@code targetDir}, with the same guarantees as
     * {@link #extract(Path, Path, PackageLimits, PackageTrust)}: the whole package is checked first, every file is
     * verified as it is written, and on any failure nothing written remains.
     *
     * @throws IllegalArgumentException also when the package carries no agent release (nothing is touched then)
     */
    public static UpdateMetadata extractAgent(Path zip, Path targetDir, PackageLimits limits, PackageTrust trust) {
        try (PackageReader reader = PackageReader.open(zip, limits, trust)) {
            if (reader.metadata().agent() == null) {
                throw new IllegalArgumentException("'" + zip + "' carries no agent release (no "
                        + PackageLayout.AGENT_DIR + ")");
            }
            boolean created = prepareTarget(targetDir);
            Release release = new Release(targetDir);
            try {
                reader.readAgentFiles(release::write);
                release.sync();
                return reader.metadata();
            } catch (RuntimeException e) {
                release.discard(created);
                throw e;
            } catch (IOException e) {
                release.discard(created);
                throw e;
            }
        } catch (IOException e) {
            throw new InvalidPackageException("could not extract the agent release of '" + zip + "' into '"
                    + targetDir + "' (" + e.getMessage() + "): check free space and permissions there, then try "
                    + "again", e);
        }
    }

    private static boolean prepareTarget(Path targetDir) {
        try {
            if (Files.exists(targetDir, LinkOption.NOFOLLOW_LINKS)) {
                if (!Files.isDirectory(targetDir)) {
                    throw new IllegalArgumentException("'" + targetDir + "' exists and is not a directory: extract "
                            + "into a new directory");
                }
                try (DirectoryStream<Path> children = Files.newDirectoryStream(targetDir)) {
                    if (children.iterator().hasNext()) {
                        throw new IllegalArgumentException("'" + targetDir + "' is not empty: extract into a new or "
                                + "empty directory");
                    }
                }
                return false;
            }
            Files.createDirectories(targetDir);
            return true;
        } catch (IOException e) {
            throw new InvalidPackageException("could not create '" + targetDir + "' (" + e.getMessage()
                    + "): check permissions and free space there, then try again", e);
        }
    }

    /** What has been written into one target directory, so that it can be synced or taken back. */
    private static final class Release {
        private final Path root;

        Release(Path root) {
            this.root = root.toAbsolutePath().normalize();
        }

        void directory(String relative) throws IOException {
            if (!relative.isEmpty()) {
                ensureDirectory(inside(relative));
            }
        }

        void write(ManifestEntry entry, InputStream content) throws IOException {
            Path file = inside(entry.path());
            ensureDirectory(file.getParent());
            // CREATE_NEW never follows or replaces anything: the directory was empty, every name is new.
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                byte[] buffer = new byte[64 * 1024];
                for (int n; (n = content.read(buffer)) != -1; ) {
                    ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
                    while (bytes.hasRemaining()) {
                        channel.write(bytes);
                    }
                }
                channel.force(true);
            }
            setMode(file, entry.executable() ? EXECUTABLE : REGULAR);
        }

        /**
         * Directory entries must reach the disk too, or a power cut can lose files that were fsynced. The tree is
         * walked rather than remembered: a list of every directory created would grow with the package.
         */
        void sync() throws IOException {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null) {
                        throw e;
                    }
                    syncDirectory(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
            Path parent = root.toAbsolutePath().getParent();
            if (parent != null) {
                syncDirectory(parent);
            }
        }

        void discard(boolean removeRoot) {
            try {
                FileTrees.delete(root, !removeRoot);
            } catch (IOException e) {
                // The original failure matters more; a leftover is found by the next extract (target not empty).
            }
        }

        private Path inside(String relative) {
            Path path = root.resolve(relative).normalize();
            if (!path.startsWith(root)) {
                throw new InvalidPackageException("entry '" + PackageLayout.APP_DIR + relative + "' leaves the "
                        + "package: rebuild it with create_update");
            }
            return path;
        }

        private void ensureDirectory(Path dir) throws IOException {
            if (dir.equals(root) || Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            ensureDirectory(dir.getParent());
            Files.createDirectory(dir);
            setMode(dir, EXECUTABLE);
        }

        private static void setMode(Path path, Set<PosixFilePermission> mode) throws IOException {
            if (path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(path, mode);
            }
        }

        private static void syncDirectory(Path dir) throws IOException {
            try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
                channel.force(true);
            } catch (IOException e) {
                // Some platforms cannot open a directory for fsync; Linux, where releases live, can.
                if (System.getProperty("os.name", "").startsWith("Windows")) {
                    return;
                }
                throw e;
            }
        }
    }
}
