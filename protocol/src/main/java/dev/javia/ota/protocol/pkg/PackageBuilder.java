package dev.javia.ota.protocol.pkg;

import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.trust.PublisherKeySet;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds an update package reproducibly: the same source files and arguments give the same bytes (on the same Java
 * runtime; another zlib may deflate differently). Entries are sorted by name, every entry has the same timestamp,
 * modes are normalised to {@code 0755} (owner-executable) or {@code 0644}, {@code pi_client/VERSION} holds the new
 * version whatever the source had, and {@code update_metadata.json} closes the ZIP with the manifest of exactly
 * the bytes written. What is left out is listed in {@link PackageSource}.
 */
public final class PackageBuilder {

    /** 1980-02-01 rather than the DOS epoch itself, which some unzip tools shift before 1980 in western time zones. */
    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 2, 1, 0, 0);

    private PackageBuilder() {
    }

    /**
     * Writes the package to {@code out} (not closed).
     *
     * @throws IllegalArgumentException on a bad argument or source directory (see {@link PackageSource#scan}),
     *                                  with a message that says what to fix
     */
    public static UpdateMetadata build(Path sourceDir, Version version, UpdateType type, String description,
                                       List<String> systemPackages, Instant createdAt, OutputStream out)
            throws IOException {
        return build(sourceDir, version, type, description, systemPackages, createdAt, null, out);
    }

    /** As the other {@code build}, with the key set the package hands agents ({@code null}: none). */
    public static UpdateMetadata build(Path sourceDir, Version version, UpdateType type, String description,
                                       List<String> systemPackages, Instant createdAt, PublisherKeySet publisherKeys,
                                       OutputStream out) throws IOException {
        if (publisherKeys != null) {
            publisherKeys.parsed();
        }
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(type, "update type");
        Objects.requireNonNull(createdAt, "createdAt");
        if (description == null || description.isBlank()) {
            throw new IllegalArgumentException("the description is empty: say in a few words what this update "
                    + "changes");
        }
        List<String> packages = DebianPackageNames.requireValid(systemPackages == null ? List.of() : systemPackages);
        PackageSource source = PackageSource.scan(sourceDir);

        List<PackageSource.SourceFile> files = new ArrayList<>(source.files());
        byte[] versionFile = (version + "\n").getBytes(StandardCharsets.UTF_8);
        files.add(new PackageSource.SourceFile(PackageLayout.VERSION_FILE, null, false));
        files.sort(Comparator.comparing(PackageSource.SourceFile::path));

        List<ManifestEntry> manifest = new ArrayList<>(files.size());
        try (ZipOutputStream zip = new ZipOutputStream(new NonClosingOutputStream(out), StandardCharsets.UTF_8)) {
            zip.setLevel(Deflater.DEFAULT_COMPRESSION);
            for (PackageSource.SourceFile file : files) {
                zip.putNextEntry(entry(PackageLayout.APP_DIR + file.path()));
                MessageDigest digest = Sha256.newDigest();
                long size;
                // Hash what is written, not what was read before: a file edited during the build cannot
                // make the manifest disagree with the ZIP.
                try (InputStream in = new DigestInputStream(file.file() == null
                        ? new java.io.ByteArrayInputStream(versionFile) : Files.newInputStream(file.file()), digest)) {
                    size = in.transferTo(zip);
                }
                zip.closeEntry();
                manifest.add(new ManifestEntry(file.path(), size, Sha256.hex(digest),
                        file.executable() ? ManifestEntry.EXECUTABLE : ManifestEntry.REGULAR));
            }
            UpdateMetadata metadata = new UpdateMetadata(PackageLayout.FORMAT_VERSION, version.toString(), type,
                    description, createdAt, !packages.isEmpty(), packages, manifest, publisherKeys);
            zip.putNextEntry(entry(PackageLayout.METADATA));
            metadata.writeTo(zip);
            zip.closeEntry();
            zip.finish();
            return metadata;
        }
    }

    /**
     * Builds into {@code zipFile} through a temporary file beside it, so that a failed build leaves no half ZIP
     * under the final name.
     */
    public static UpdateMetadata buildFile(Path sourceDir, Version version, UpdateType type, String description,
                                           List<String> systemPackages, Instant createdAt, Path zipFile)
            throws IOException {
        return buildFile(sourceDir, version, type, description, systemPackages, createdAt, null, zipFile);
    }

    /** As the other {@code buildFile}, with the key set the package hands agents ({@code null}: none). */
    public static UpdateMetadata buildFile(Path sourceDir, Version version, UpdateType type, String description,
                                           List<String> systemPackages, Instant createdAt,
                                           PublisherKeySet publisherKeys, Path zipFile) throws IOException {
        Path dir = zipFile.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, ".update-", ".zip.tmp");
        try {
            UpdateMetadata metadata;
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(temp), 64 * 1024)) {
                metadata = build(sourceDir, version, type, description, systemPackages, createdAt, publisherKeys,
                        out);
            }
            Files.move(temp, zipFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return metadata;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * A small valid package for tests of the server and the agent: {@code client.py}, an executable
     * {@code run.sh}, {@code requirements.txt} and {@code audio/codec.py}, written under {@code workDir/source-<version>}
     * and built into {@code workDir/update_<version>.zip}.
     */
    public static Path samplePackage(Path workDir, Version version, UpdateType type, List<String> systemPackages)
            throws IOException {
        Path source = workDir.resolve("source-" + version);
        Files.createDirectories(source.resolve("audio"));
        Files.writeString(source.resolve("client.py"), "print('javia " + version + "')\n");
        Files.writeString(source.resolve("requirements.txt"), "requests==2.32.3\n");
        Files.writeString(source.resolve("audio/codec.py"), "CODEC = 'opus'\n");
        Path run = Files.writeString(source.resolve("run.sh"), "#!/bin/sh\nexec python3 client.py\n");
        if (run.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(run, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Path zip = workDir.resolve(PackageLayout.fileName(version));
        buildFile(source, version, type, "sample update " + version, systemPackages,
                Instant.parse("2025-01-01T00:00:00Z"), zip);
        return zip;
    }

    private static ZipEntry entry(String name) {
        ZipEntry entry = new ZipEntry(name);
        entry.setTimeLocal(ENTRY_TIME);
        entry.setMethod(ZipEntry.DEFLATED);
        return entry;
    }
}
