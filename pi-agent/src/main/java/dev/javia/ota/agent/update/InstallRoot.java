package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.DurableFiles;
import dev.javia.ota.protocol.pkg.FileTrees;
import dev.javia.ota.protocol.pkg.Sha256;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Set;

/**
 * The install root on the device:
 * <pre>
 * INSTALL_DIR/releases/v1.2.3/   one directory per release, complete before anything points at it
 * INSTALL_DIR/releases/v1.2.3.update_metadata.json   the package's update_metadata.json, byte for byte (issue 18)
 * INSTALL_DIR/current            symlink to releases/&lt;version&gt;, replaced by one rename
 * INSTALL_DIR/VERSION            the version current points at (the seed's VERSION file)
 * </pre>
 * The voice-assistant service runs from {@code INSTALL_DIR/current}, so it always sees one whole release.
 *
 * <p>The kept metadata says which package a release was installed from: a delta applies only to a release whose
 * metadata's SHA-256 is the delta's base. It lives beside the release, not in it: the release holds exactly the files
 * of its manifest (a delta's assembly checks that no other file is there), and the app never sees it. A release
 * without it (installed before deltas, by setup.sh, or carried forward for an agent-only package, whose files are not
 * its package's) gets full packages.
 */
public final class InstallRoot {

    static final String RELEASES = "releases";
    static final String CURRENT = "current";
    static final String VERSION = "VERSION";
    private static final String PARTIAL = ".partial";
    static final String MANIFEST = ".update_metadata.json";

    private final Path dir;

    public InstallRoot(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path release(String version) {
        return dir.resolve(RELEASES).resolve(version);
    }

    /** Where a release is extracted before one rename makes it {@link #release}. */
    Path partial(String version) {
        return dir.resolve(RELEASES).resolve("." + version + PARTIAL);
    }

    /** Where the {@code update_metadata.json} of release {@code version} is kept. */
    Path manifest(String version) {
        return dir.resolve(RELEASES).resolve(version + MANIFEST);
    }

    /**
     * Keeps the package's {@code update_metadata.json} for release {@code version}, written whole and synced, before
     * the release is published: a published release has its metadata or was installed before deltas.
     */
    void keepManifest(String version, byte[] metadata) {
        DurableFiles.write(manifest(version), metadata, DurableFiles.WORLD_READABLE);
    }

    /** The SHA-256 of release {@code version}'s kept metadata; empty when none is kept. */
    Optional<String> manifestSha256(String version) {
        Path file = manifest(version);
        try {
            return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? Optional.of(Sha256.of(file))
                    : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public Path current() {
        return dir.resolve(CURRENT);
    }

    /** The version of the release {@code current} points at; empty when there is no such link. */
    public Optional<String> currentRelease() {
        try {
            if (!Files.isSymbolicLink(current())) {
                return Optional.empty();
            }
            return Optional.of(Files.readSymbolicLink(current()).getFileName().toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + current() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The installed version: the release {@code current} points at, else the {@code VERSION} file (a device set up
     * before this layout), else empty.
     */
    public Optional<String> installedVersion() {
        Optional<String> release = currentRelease();
        if (release.isPresent()) {
            return release;
        }
        try {
            Path file = dir.resolve(VERSION);
            if (Files.isRegularFile(file)) {
                String text = Files.readString(file, StandardCharsets.UTF_8).strip();
                return text.isEmpty() ? Optional.empty() : Optional.of(text);
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(VERSION) + ": " + e.getMessage(), e);
        }
    }

    /** Moves a fully extracted release into place under its own name (one rename, then the directory is synced). */
    void publish(String version) {
        try {
            Files.move(partial(version), release(version), StandardCopyOption.ATOMIC_MOVE);
            DurableFiles.fsyncDirectory(dir.resolve(RELEASES));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move release " + version + " into place: " + e.getMessage(), e);
        }
    }

    /** Points {@code current} at {@code version} with one atomic rename, then writes {@code VERSION}. */
    void switchTo(String version) {
        if (!Files.isDirectory(release(version))) {
            throw new IllegalStateException("release " + version + " is not in " + dir.resolve(RELEASES));
        }
        DurableFiles.replaceSymlink(current(), Path.of(RELEASES, version));
        DurableFiles.write(dir.resolve(VERSION), (version + "\n").getBytes(StandardCharsets.UTF_8),
                DurableFiles.WORLD_READABLE);
    }

    /**
     * Deletes a release and its kept metadata, or what an interrupted extraction left of them; never the one
     * {@code current} points at.
     */
    void discard(String version) {
        deleteTree(partial(version));
        if (!currentRelease().filter(version::equals).isPresent()) {
            deleteTree(release(version));
            deleteTree(manifest(version));
        }
    }

    /** Keeps {@code keep} (current and previous) with their metadata, and deletes every other release and leftover. */
    void prune(Set<String> keep) {
        Path releases = dir.resolve(RELEASES);
        if (!Files.isDirectory(releases)) {
            return;
        }
        Optional<String> current = currentRelease();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(releases)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                String release = name.endsWith(MANIFEST) ? name.substring(0, name.length() - MANIFEST.length()) : name;
                if (!keep.contains(release) && !current.filter(release::equals).isPresent()) {
                    deleteTree(entry);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + releases + ": " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path root) {
        try {
            FileTrees.delete(root, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root + ": " + e.getMessage(), e);
        }
    }
}
