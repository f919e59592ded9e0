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
        return build(sourceDir, version, type, description, systemPackages, createdAt, publisherKeys, null, out);
    }

    /**
     * The agent release a package is to carry, from files on the packager's machine.
     *
     * @param version    the agent's version, written as {@code javia_agent/VERSION}
     * @param jar        the agent's shaded jar ({@code pi-agent/target/pi-agent.jar})
     * @param jvmOptions optional (null): the JVM flags in {@code java}'s {@code @argfile} syntax
     * @param unitDropin optional (null): a systemd drop-in for the agent's unit
     */
    public record AgentSource(Version version, Path jar, Path jvmOptions, Path unitDropin) {

        public AgentSource {
            Objects.requireNonNull(version, "agent version");
            requireFile(jar, "the agent jar");
            if (!isZip(jar)) {
                throw new IllegalArgumentException("the agent jar '" + jar + "' is not a jar (no ZIP header): give "
                        + "pi-agent/target/pi-agent.jar, built by ./mvnw -pl pi-agent -am package");
            }
            if (jvmOptions != null) {
                requireFile(jvmOptions, "the agent's JVM options file");
            }
            if (unitDropin != null) {
                requireFile(unitDropin, "the agent's unit drop-in");
            }
        }

        private static void requireFile(Path file, String what) {
            if (file == null || !Files.isRegularFile(file)) {
                throw new IllegalArgumentException(what + " '" + file + "' does not exist or is not a file");
            }
        }

        private static boolean isZip(Path file) {
            try (InputStream in = Files.newInputStream(file)) {
                byte[] magic = in.readNBytes(4);
                return magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the agent jar '" + file + "': " + e.getMessage(), e);
            }
        }

        /** The files of {@code javia_agent/}, by their name there; the VERSION file as null (written from memory). */
        private List<PackageSource.SourceFile> files() {
            List<PackageSource.SourceFile> files = new ArrayList<>();
            files.add(new PackageSource.SourceFile(AgentRelease.JAR, jar, false));
            files.add(new PackageSource.SourceFile(AgentRelease.VERSION_FILE, null, false));
            if (jvmOptions != null) {
                files.add(new PackageSource.SourceFile(AgentRelease.JVM_OPTIONS, jvmOptions, false));
            }
            if (unitDropin != null) {
                files.add(new PackageSource.SourceFile(AgentRelease.UNIT_DROPIN, unitDropin, false));
            }
            files.sort(Comparator.comparing(PackageSource.SourceFile::path));
            return files;
        }
    }

    /**
     * As the other {@code build}, and with {@code agent} (non-null) the package carries that agent release under
     * {@code javia_agent/} and is of format {@value PackageLayout#AGENT_FORMAT_VERSION}. {@code sourceDir} may then
     * be null: an agent-only package, without {@code pi_client/}. Without an agent the bytes are those of a format-1
     * package, as before agent releases.
     */
    public static UpdateMetadata build(Path sourceDir, Version version, UpdateType type, String description,
                                       List<String> systemPackages, Instant createdAt, PublisherKeySet publisherKeys,
                                       AgentSource agent, OutputStream out) throws IOException {
        if (sourceDir == null && agent == null) {
            throw new IllegalArgumentException("a package needs the app's source directory, an agent release, or "
                    + "both");
        }
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
        List<PackageSource.SourceFile> files = new ArrayList<>();
        if (sourceDir != null) {
            files.addAll(PackageSource.scan(sourceDir).files());
            files.add(new PackageSource.SourceFile(PackageLayout.VERSION_FILE, null, false));
            files.sort(Comparator.comparing(PackageSource.SourceFile::path));
        }

        try (ZipOutputStream zip = new ZipOutputStream(new NonClosingOutputStream(out), StandardCharsets.UTF_8)) {
            zip.setLevel(Deflater.DEFAULT_COMPRESSION);
            AgentRelease agentRelease = agent == null ? null : new AgentRelease(agent.version().toString(),
                    write(zip, PackageLayout.AGENT_DIR, agent.files(), agent.version()));
            List<ManifestEntry> manifest = write(zip, PackageLayout.APP_DIR, files, version);
            UpdateMetadata metadata = agent == null
                    ? new UpdateMetadata(PackageLayout.FORMAT_VERSION, version.toString(), type, description,
                            createdAt, !packages.isEmpty(), packages, manifest, publisherKeys)
                    : new UpdateMetadata(PackageLayout.AGENT_FORMAT_VERSION, version.toString(), type, description,
                            createdAt, !packages.isEmpty(), packages, manifest, publisherKeys, agentRelease,
                            sourceDir != null);
            zip.putNextEntry(entry(PackageLayout.METADATA));
            metadata.writeTo(zip);
            zip.closeEntry();
            zip.finish();
            return metadata;
        }
    }

    /**
     * Writes {@code files} under {@code dir} (sorted already), the one whose source is null as the VERSION file of
     * {@code version}, and returns their manifest.
     */
    private static List<ManifestEntry> write(ZipOutputStream zip, String dir, List<PackageSource.SourceFile> files,
            Version version) throws IOException {
        byte[] versionFile = (version + "\n").getBytes(StandardCharsets.UTF_8);
        List<ManifestEntry> manifest = new ArrayList<>(files.size());
        for (PackageSource.SourceFile file : files) {
            zip.putNextEntry(entry(dir + file.path()));
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
        return manifest;
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
        return buildFile(sourceDir, version, type, description, systemPackages, createdAt, publisherKeys, null,
                zipFile);
    }

    /** As the other {@code buildFile}, with an agent release ({@code null}: none; see the {@code build} it calls). */
    public static UpdateMetadata buildFile(Path sourceDir, Version version, UpdateType type, String description,
                                           List<String> systemPackages, Instant createdAt,
                                           PublisherKeySet publisherKeys, AgentSource agent, Path zipFile)
            throws IOException {
        Path dir = zipFile.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, ".update-", ".zip.tmp");
        try {
            UpdateMetadata metadata;
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(temp), 64 * 1024)) {
                metadata = build(sourceDir, version, type, description, systemPackages, createdAt, publisherKeys,
                        agent, out);
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

    /**
     * A small valid package that carries an agent release, for tests: {@code agentJar} (any jar) as the agent of
     * {@code agentVersion}, with the sample app of {@link #samplePackage} when {@code withApp}, else agent-only.
     * Built into {@code workDir/update_<version>.zip}.
     */
    public static Path sampleAgentPackage(Path workDir, Version version, UpdateType type, Version agentVersion,
                                          Path agentJar, boolean withApp) throws IOException {
        Path source = null;
        if (withApp) {
            source = workDir.resolve("source-" + version);
            Files.createDirectories(source);
            Files.writeString(source.resolve("client.py"), "print('javia " + version + "')\n");
        }
        Path zip = workDir.resolve(PackageLayout.fileName(version));
        buildFile(source, version, type, "sample update " + version + " with agent " + agentVersion, List.of(),
                Instant.parse("2025-01-01T00:00:00Z"), null, new AgentSource(agentVersion, agentJar, null, null), zip);
        return zip;
    }

    private static ZipEntry entry(String name) {
        ZipEntry entry = new ZipEntry(name);
        entry.setTimeLocal(ENTRY_TIME);
        entry.setMethod(ZipEntry.DEFLATED);
        return entry;
    }
}
