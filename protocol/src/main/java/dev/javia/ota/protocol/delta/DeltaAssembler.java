package dev.javia.ota.protocol.delta;

import dev.javia.ota.protocol.pkg.EntryStream;
import dev.javia.ota.protocol.pkg.FileTrees;
import dev.javia.ota.protocol.pkg.InvalidPackageException;
import dev.javia.ota.protocol.pkg.ManifestEntry;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageReader;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.UpdateMetadata;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a release from the installed one and a delta, and verifies every file of it before anyone may switch to it.
 *
 * <p>Per target file: unchanged (not in {@code delta.json}) and {@code copy} are taken from the installed release
 * ({@code from} for a copy); {@code mode} is copied from it with the new mode; {@code whole} is written from its entry;
 * {@code patch} is applied to the installed file {@code from} ({@link ZstdPatch}: memory bounded by its 8 MiB
 * reference window and one 4 MiB chunk, in native memory, whatever the file's size). A file taken from the installed
 * release is first checked against the base manifest where its content is used as a source (a patch's), or after it
 * is in place (all others): a difference is a {@link DeltaMismatchException} that names the file.
 *
 * <p>Hard links: an installed file whose content is kept and whose mode on disk is already the target's is hard
 * linked ({@link Files#createLink}) rather than copied, when the file system allows it (same file system; otherwise a
 * copy). The two releases then share the inode: a change made in place to the file in one release (an editor, a
 * {@code chmod}, a program writing to its own files) shows in the other. Nothing of the agent writes into a release
 * once it is in place (an update makes a new directory and switches the link), and a mode change is therefore always
 * a copy with the new mode, never a {@code chmod} of a linked file. A file of the installed release whose mode on disk
 * is not exactly {@code 0644} or {@code 0755} is copied.
 *
 * <p>Then every file of {@code targetDir} is verified against the target manifest (size, SHA-256, POSIX mode exactly
 * {@code 0644} or {@code 0755}), and the tree must hold exactly the manifest's files and the directories their paths
 * need: nothing else, no links. Files and directories are fsynced. On any failure {@code targetDir} is deleted.
 */
public final class DeltaAssembler {

    private static final Set<PosixFilePermission> REGULAR = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("rwxr-xr-x");

    private DeltaAssembler() {
    }

    /**
     * Builds the target release in {@code targetDir} (which must not exist; created) from {@code currentRelease}
     * (the installed {@code pi_client/} tree) and {@code delta}, then verifies every file of it.
     *
     * @param trust                         verifies the target's {@code update_metadata.json} in the delta, as the
     *                                      extractor verifies a package's
     * @param expectedTargetManifestSha256  the offer's {@code manifest_sha256}; null checks none
     * @return the target's metadata, read after {@code trust} verified it
     * @throws IllegalArgumentException when {@code targetDir} exists (nothing is touched)
     * @throws DeltaMismatchException   when the installed release is not the delta's base
     * @throws InvalidPackageException  when the delta is refused, or the patches cannot be applied here
     * @throws IOException              when reading or writing fails (a full disk); nothing written remains
     */
    public static UpdateMetadata assemble(Path delta, Path currentRelease, Path targetDir, PackageLimits limits,
                                          PackageTrust trust, String expectedTargetManifestSha256) throws IOException {
        if (Files.exists(targetDir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("'" + targetDir + "' exists: assemble into a new directory (remove "
                    + "what an earlier attempt left there first)");
        }
        try (DeltaReader reader = DeltaReader.open(delta, limits, trust, expectedTargetManifestSha256)) {
            if (reader.patches() > 0 && !ZstdPatch.available()) {
                throw new InvalidPackageException("delta '" + reader.name() + "' has " + reader.patches()
                        + " patches, which this machine cannot apply (" + ZstdPatch.unavailableReason() + "): install "
                        + "the full package");
            }
            if (!Files.isDirectory(currentRelease)) {
                throw new DeltaMismatchException("the installed release '" + currentRelease + "' is not a directory: "
                        + "install the full package");
            }
            Files.createDirectories(targetDir.toAbsolutePath().getParent());
            Files.createDirectory(targetDir);
            try {
                new Assembly(reader, currentRelease.toRealPath(), targetDir.toAbsolutePath().normalize()).run();
                return reader.target;
            } catch (InvalidPackageException e) {
                discard(targetDir, e);
                throw DeltaReader.refusal(reader.name(), e);
            } catch (RuntimeException | IOException e) {
                discard(targetDir, e);
                throw e;
            }
        }
    }

    /** Takes back what was written: a release directory either is complete and verified or does not exist. */
    private static void discard(Path targetDir, Exception e) {
        try {
            FileTrees.delete(targetDir, false);
        } catch (IOException cleanup) {
            e.addSuppressed(cleanup);
        }
    }

    /** The SHA-256 hex of a package's {@code update_metadata.json} bytes (what base_manifest_sha256 means). */
    public static String manifestSha256(Path packageZip) throws IOException {
        try (PackageReader reader = PackageReader.open(packageZip, PackageLimits.defaults(), PackageTrust.none())) {
            return reader.metadataSha256();
        }
    }

    private static final class Assembly {
        private final DeltaReader delta;
        private final Path installed;
        private final Path root;
        /** Target paths whose content came from the installed release: a mismatch there is the device's. */
        private final Map<String, String> fromInstalled = new HashMap<>();

        Assembly(DeltaReader delta, Path installed, Path root) {
            this.delta = delta;
            this.installed = installed;
            this.root = root;
        }

        void run() throws IOException {
            List<ManifestEntry> files = new ArrayList<>(delta.target.files());
            files.sort(Comparator.comparing(ManifestEntry::path));
            for (ManifestEntry file : files) {
                DeltaFile changed = delta.changed.get(file.path());
                Path out = inside(file.path());
                ensureDirectory(out.getParent());
                if (changed == null) {
                    linkOrCopy(file.path(), file, out);
                } else if (DeltaFile.COPY.equals(changed.how())) {
                    linkOrCopy(changed.from(), file, out);
                } else if (DeltaFile.MODE.equals(changed.how())) {
                    copy(changed.from(), file, out);
                } else if (DeltaFile.WHOLE.equals(changed.how())) {
                    try (EntryStream content = delta.open(changed)) {
                        write(content, out, file);
                        content.readToEnd();
                    }
                } else {
                    patch(changed, file, out);
                }
            }
            syncDirectories();
            verify(files);
        }

        private void linkOrCopy(String from, ManifestEntry file, Path out) throws IOException {
            Path source = source(from);
            fromInstalled.put(file.path(), from);
            if (!posix() || !Files.getPosixFilePermissions(source, LinkOption.NOFOLLOW_LINKS).equals(mode(file))) {
                copy(from, file, out);
                return;
            }
            try {
                Files.createLink(out, source);
            } catch (UnsupportedOperationException | FileSystemException e) {
                copy(from, file, out);
            }
        }

        /** A copy, checked against the base manifest as it is read. */
        private void copy(String from, ManifestEntry file, Path out) throws IOException {
            Path source = source(from);
            fromInstalled.put(file.path(), from);
            MessageDigest digest = Sha256.newDigest();
            try (InputStream in = new java.security.DigestInputStream(Files.newInputStream(source,
                    LinkOption.NOFOLLOW_LINKS), digest)) {
                write(in, out, file);
            }
            checkBase(from, Files.size(out), Sha256.hex(digest));
        }

        private void patch(DeltaFile changed, ManifestEntry file, Path out) throws IOException {
            Path source = source(changed.from());
            checkBase(changed.from(), Files.size(source), Sha256.of(source));
            try (FileChannel old = FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                 EntryStream patch = delta.open(changed);
                 FileChannel channel = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                         LinkOption.NOFOLLOW_LINKS)) {
                ZstdPatch.apply(old, patch, file.size(), channel, file.path());
                patch.readToEnd();
                channel.force(true);
            }
            setMode(out, mode(file));
        }

        /** A file of the installed release, which must be a regular file inside it. */
        private Path source(String path) throws IOException {
            Path source = installed.resolve(path);
            try {
                Path real = source.toRealPath();
                if (!real.startsWith(installed) || !real.equals(source.normalize())
                        || !Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
                    throw mismatch(path, "is a link or not a regular file");
                }
            } catch (NoSuchFileException e) {
                throw mismatch(path, "is missing");
            }
            return source;
        }

        private void checkBase(String path, long size, String sha256) {
            ManifestEntry base = delta.baseFiles.get(path);
            if (base.size() != size || !base.sha256().equals(sha256)) {
                throw mismatch(path, "does not match the base manifest (" + size + " bytes, sha256 " + sha256
                        + "; " + delta.base.version() + " has " + base.size() + " bytes, sha256 " + base.sha256()
                        + ")");
            }
        }

        private DeltaMismatchException mismatch(String path, String what) {
            return new DeltaMismatchException(path + " in the installed release " + what + ": the release was "
                    + "changed on the device, so the delta from " + delta.base.version() + " does not apply; install "
                    + "the full package (the agent does unless DELTA_FALLBACK=refuse)");
        }

        private void write(InputStream content, Path out, ManifestEntry file) throws IOException {
            try (FileChannel channel = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS)) {
                byte[] buffer = new byte[64 * 1024];
                for (int n; (n = content.read(buffer)) != -1; ) {
                    ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
                    while (bytes.hasRemaining()) {
                        channel.write(bytes);
                    }
                }
                channel.force(true);
            }
            setMode(out, mode(file));
        }

        /** Every file against the target manifest, and nothing else in the tree. */
        private void verify(List<ManifestEntry> files) throws IOException {
            Map<String, ManifestEntry> expected = new HashMap<>();
            Set<String> directories = new HashSet<>();
            for (ManifestEntry file : files) {
                expected.put(file.path(), file);
                for (int slash = file.path().indexOf('/'); slash >= 0; slash = file.path().indexOf('/', slash + 1)) {
                    directories.add(file.path().substring(0, slash));
                }
            }
            Set<String> seen = new HashSet<>();
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    String path = relative(dir);
                    if (!path.isEmpty() && !directories.contains(path)) {
                        throw verification(path, "is a directory that the target's manifest does not need");
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    String path = relative(file);
                    ManifestEntry entry = expected.get(path);
                    if (entry == null || !attrs.isRegularFile()) {
                        throw verification(path, "is not a file of the target's manifest");
                    }
                    String sha256 = Sha256.of(file);
                    if (attrs.size() != entry.size() || !sha256.equals(entry.sha256())) {
                        String from = fromInstalled.get(path);
                        if (from != null) {
                            throw mismatch(from, "does not match the base manifest (sha256 " + sha256 + ", "
                                    + delta.base.version() + " has " + entry.sha256() + ")");
                        }
                        throw verification(path, "has " + attrs.size() + " bytes and sha256 " + sha256 + ", not the "
                                + entry.size() + " bytes and " + entry.sha256() + " of the manifest");
                    }
                    if (posix() && !Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS)
                            .equals(mode(entry))) {
                        throw verification(path, "does not have mode " + entry.mode());
                    }
                    seen.add(path);
                    return FileVisitResult.CONTINUE;
                }
            });
            for (String path : expected.keySet()) {
                if (!seen.contains(path)) {
                    throw verification(path, "is missing");
                }
            }
        }

        private InvalidPackageException verification(String path, String what) {
            return delta.bad("after assembly, '" + path + "' " + what);
        }

        private String relative(Path path) {
            return root.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
        }

        private Path inside(String relative) {
            Path path = root.resolve(relative).normalize();
            if (!path.startsWith(root) || path.equals(root)) {
                throw delta.bad("'" + relative + "' leaves the release");
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

        private void syncDirectories() throws IOException {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null) {
                        throw e;
                    }
                    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
                        channel.force(true);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
            try (FileChannel channel = FileChannel.open(root.getParent(), StandardOpenOption.READ)) {
                channel.force(true);
            }
        }

        private boolean posix() {
            return root.getFileSystem().supportedFileAttributeViews().contains("posix");
        }

        private static Set<PosixFilePermission> mode(ManifestEntry file) {
            return file.executable() ? EXECUTABLE : REGULAR;
        }

        private void setMode(Path path, Set<PosixFilePermission> mode) throws IOException {
            if (posix()) {
                Files.setPosixFilePermissions(path, mode);
            }
        }
    }
}
