package dev.javia.ota.protocol.delta;

import dev.javia.ota.protocol.pkg.NonClosingOutputStream;
import dev.javia.ota.protocol.pkg.EntryStream;
import dev.javia.ota.protocol.pkg.InvalidPackageException;
import dev.javia.ota.protocol.pkg.ManifestEntry;
import dev.javia.ota.protocol.pkg.PackageJson;
import dev.javia.ota.protocol.pkg.PackageLayout;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageReader;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.UpdateMetadata;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Makes the delta from one package to another (see the package's description for its layout). Per target file:
 * identical in the base (same path, SHA-256 and mode): not in the delta; same content at the same path, another
 * mode: {@code mode}; same content as some base file elsewhere: {@code copy} (a rename costs no content byte);
 * otherwise, when the base has a non-empty file at the same path, a zstd patch against it is made
 * ({@link ZstdPatch}: chunks of 2 MiB, each against the old file's bytes around the same offset) and kept when
 * clearly smaller than the file deflated whole; else {@code whole}.
 *
 * <p>The rule, from measurements on this machine (zstd-jni 1.6.0-1, level 1; deflate at its default level, as
 * packages are):
 * <ul>
 *   <li>a patch of at most 1/8 of the file's size is kept without deflating the file to compare (deflate never gets
 *       an application's files below 1/8: Python code deflates to about 1/4, a model of floats or random bytes
 *       hardly at all);</li>
 *   <li>otherwise the file is deflated (counted, not stored) and the patch kept only when it is at most half of
 *       that; else the file travels whole.</li>
 * </ul>
 * Figures ({@code DeltaPatchTests.aPatchIsKeptWhenClearlySmallerThanTheFileDeflated}, which asserts the choice
 * each time): a 20 MB binary model (random bytes) with 3 changes of 1 KB: patch 5.1 KB (the changes and about 200
 * bytes per 2 MiB chunk) vs 20.98 MB deflated, kept; a 6.2 KB {@code .py} file with one line changed: patch 48 bytes
 * vs 1.5 KB deflated, kept; a file wholly new at the same path (12.5 KB of other Python): patch 3.2 KB, not below
 * 1/8, and deflated 2.9 KB: whole. A one-file change in a 55 MB release (300 Python files, 8 libraries of 4 MB, a
 * 20 MB model; {@code DeltaSizeTests}) makes a delta of 32 KB (0.06%), nearly all of it the two manifests. Building
 * a patch takes about 45 ms per 2 MiB chunk of the new file (zstd's tables over the 4 MiB reference window are built
 * once per chunk).
 *
 * <p>Memory: the changed files are extracted to temporary files beside {@code out} (verified against their
 * manifests as they are), and a patch is made a chunk at a time: 2 MiB of the new file and 4 MiB of the old one on
 * the heap at most, plus zstd's native tables (about 4 MiB). Unchanged files are never read. When zstd's native
 * library cannot be loaded, every changed file travels whole.
 */
public final class DeltaBuilder {

    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 2, 1, 0, 0);
    /** A patch at most this fraction of the file is kept without comparing with deflate. */
    static final int CLEARLY_SMALLER = 8;

    private DeltaBuilder() {
    }

    /**
     * @param sizeBytes     the delta file's size
     * @param sha256        the delta file's SHA-256
     * @param copied        files that travel without content: copies and renames, and mode changes
     * @param fullSizeBytes the target package's size, to compare with
     */
    public record Result(long sizeBytes, String sha256, String baseVersion, String baseManifestSha256,
                         String targetVersion, String targetManifestSha256, int whole, int patched, int copied,
                         int removed, long fullSizeBytes) {
    }

    /**
     * Builds the delta from {@code basePackage} to {@code targetPackage} (both verified packages, e.g. as stored;
     * their structure and metadata are checked again, and every file read is checked against its manifest) into
     * {@code out}, through a temporary file beside it: a failed build leaves nothing under that name.
     *
     * @throws InvalidPackageException  when a package is refused
     * @throws IllegalArgumentException when a package carries an agent release (deltas carry {@code pi_client/}
     *                                  only: such an update is always installed from its full package)
     */
    public static Result build(Path basePackage, Path targetPackage, Path out, PackageLimits limits)
            throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, ".delta-", ".zip.tmp");
        Path work = Files.createTempDirectory(dir, ".delta-work-");
        try (PackageReader base = PackageReader.open(basePackage, limits, PackageTrust.none());
             PackageReader target = PackageReader.open(targetPackage, limits, PackageTrust.none())) {
            refuseAgent(base, basePackage);
            refuseAgent(target, targetPackage);
            Counts counts = new Counts();
            MessageDigest digest = Sha256.newDigest();
            try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(temp), 64 * 1024);
                 ZipOutputStream zip = new ZipOutputStream(new DigestOutputStream(file, digest))) {
                write(zip, PackageLayout.METADATA, in -> copyMetadata(targetPackage, target.metadataSha256(), in));
                write(zip, DeltaLayout.BASE_METADATA, in -> copyMetadata(basePackage, base.metadataSha256(), in));
                DeltaManifest manifest = plan(base, target, zip, work, counts);
                write(zip, DeltaLayout.DELTA_JSON, in -> PackageJson.mapper().writeValue(
                        new NonClosingOutputStream(in), manifest));
                zip.finish();
            }
            Files.move(temp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            UpdateMetadata b = base.metadata();
            UpdateMetadata t = target.metadata();
            return new Result(Files.size(out), Sha256.hex(digest), b.version(), base.metadataSha256(), t.version(),
                    target.metadataSha256(), counts.whole, counts.patched, counts.copied, counts.removed,
                    Files.size(targetPackage));
        } finally {
            Files.deleteIfExists(temp);
            dev.javia.ota.protocol.pkg.FileTrees.delete(work, false);
        }
    }

    private static void refuseAgent(PackageReader reader, Path zip) {
        if (reader.metadata().agent() != null || !reader.metadata().includesApp()) {
            throw new IllegalArgumentException("'" + zip + "' carries an agent release: a delta carries "
                    + PackageLayout.APP_DIR + " only, so this update is installed from its full package");
        }
    }

    private static final class Counts {
        int whole;
        int patched;
        int copied;
        int removed;
    }

    private interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes the target's files that differ from the base, sorted by path (the same packages give the same delta),
     * and returns delta.json's content.
     */
    private static DeltaManifest plan(PackageReader base, PackageReader target, ZipOutputStream zip, Path work,
                                      Counts counts) throws IOException {
        Map<String, ManifestEntry> baseByPath = new TreeMap<>();
        Map<String, ManifestEntry> baseBySha = new HashMap<>();
        for (ManifestEntry entry : base.metadata().files()) {
            baseByPath.put(entry.path(), entry);
            baseBySha.putIfAbsent(entry.sha256() + "/" + entry.size(), entry);
        }
        List<ManifestEntry> targetFiles = new ArrayList<>(target.metadata().files());
        targetFiles.sort(Comparator.comparing(ManifestEntry::path));
        List<DeltaFile> files = new ArrayList<>();
        for (ManifestEntry file : targetFiles) {
            ManifestEntry same = baseByPath.get(file.path());
            if (same != null && same.sha256().equals(file.sha256()) && same.size() == file.size()) {
                if (!same.mode().equals(file.mode())) {
                    files.add(delta(file, DeltaFile.MODE, file.path()));
                    counts.copied++;
                }
                continue;
            }
            ManifestEntry equal = baseBySha.get(file.sha256() + "/" + file.size());
            if (equal != null) {
                files.add(delta(file, DeltaFile.COPY, equal.path()));
                counts.copied++;
                continue;
            }
            if (same != null && same.size() > 0 && file.size() > 0 && ZstdPatch.available()) {
                Path patch = patch(base, same, target, file, work);
                if (patch != null) {
                    write(zip, DeltaLayout.PATCH_DIR + file.path() + DeltaLayout.PATCH_SUFFIX,
                            in -> Files.copy(patch, in));
                    Files.delete(patch);
                    files.add(delta(file, DeltaFile.PATCH, same.path()));
                    counts.patched++;
                    continue;
                }
            }
            write(zip, DeltaLayout.WHOLE_DIR + file.path(), in -> {
                try (InputStream content = target.openFile(file)) {
                    content.transferTo(in);
                }
            });
            files.add(new DeltaFile(file.path(), DeltaFile.WHOLE, null, file.size(), file.sha256(), file.mode()));
            counts.whole++;
        }
        List<String> removed = new ArrayList<>();
        java.util.Set<String> targetPaths = new java.util.HashSet<>();
        targetFiles.forEach(file -> targetPaths.add(file.path()));
        for (String path : baseByPath.keySet()) {
            if (!targetPaths.contains(path)) {
                removed.add(path);
            }
        }
        counts.removed = removed.size();
        return new DeltaManifest(DeltaLayout.FORMAT_VERSION, base.metadata().version(), base.metadataSha256(),
                target.metadata().version(), target.metadataSha256(), removed, files);
    }

    private static DeltaFile delta(ManifestEntry file, String how, String from) {
        return new DeltaFile(file.path(), how, from, file.size(), file.sha256(), file.mode());
    }

    /** The patch from {@code old} to {@code file} in a temporary file when the rule keeps it, else null. */
    private static Path patch(PackageReader base, ManifestEntry old, PackageReader target, ManifestEntry file,
                              Path work) throws IOException {
        Path oldFile = extract(base, old, work);
        Path newFile = extract(target, file, work);
        Path patch = Files.createTempFile(work, "patch-", ".zst");
        try {
            long patchSize;
            try (FileChannel o = FileChannel.open(oldFile, StandardOpenOption.READ);
                 FileChannel n = FileChannel.open(newFile, StandardOpenOption.READ);
                 OutputStream p = new BufferedOutputStream(Files.newOutputStream(patch), 64 * 1024)) {
                patchSize = ZstdPatch.create(o, n, p);
            }
            if (keepPatch(patchSize, file.size(), () -> deflatedSize(newFile))) {
                return patch;
            }
            Files.delete(patch);
            return null;
        } finally {
            Files.deleteIfExists(oldFile);
            Files.deleteIfExists(newFile);
        }
    }

    interface SizeOf {
        long get() throws IOException;
    }

    /** The rule of the class description; {@code deflated} is only asked when needed. */
    static boolean keepPatch(long patchSize, long fileSize, SizeOf deflated) throws IOException {
        if (patchSize <= fileSize / CLEARLY_SMALLER) {
            return true;
        }
        return patchSize <= deflated.get() / 2;
    }

    static long deflatedSize(Path file) throws IOException {
        Counting counting = new Counting();
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        try (InputStream in = Files.newInputStream(file);
             DeflaterOutputStream out = new DeflaterOutputStream(counting, deflater, 64 * 1024)) {
            in.transferTo(out);
        } finally {
            deflater.end();
        }
        return counting.count;
    }

    private static Path extract(PackageReader reader, ManifestEntry file, Path work) throws IOException {
        Path temp = Files.createTempFile(work, "file-", ".bin");
        try (EntryStream content = reader.openFile(file)) {
            Files.copy(content, temp, StandardCopyOption.REPLACE_EXISTING);
            content.readToEnd();
        }
        return temp;
    }

    /** The bytes of a package's update_metadata.json, as they are (the signature is over them). */
    private static void copyMetadata(Path zip, String sha256, OutputStream out) throws IOException {
        MessageDigest digest = Sha256.newDigest();
        try (java.util.zip.ZipFile file = new java.util.zip.ZipFile(zip.toFile());
             InputStream in = file.getInputStream(file.getEntry(PackageLayout.METADATA))) {
            in.transferTo(new DigestOutputStream(new NonClosingOutputStream(out), digest));
        }
        if (!Sha256.hex(digest).equals(sha256)) {
            throw new IOException("'" + zip + "' changed while the delta was built from it: build it again");
        }
    }

    private static void write(ZipOutputStream zip, String name, Content content) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setTimeLocal(ENTRY_TIME);
        entry.setMethod(ZipEntry.DEFLATED);
        zip.putNextEntry(entry);
        content.writeTo(zip);
        zip.closeEntry();
    }

    private static final class Counting extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
