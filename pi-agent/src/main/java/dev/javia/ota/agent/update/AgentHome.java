package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.DurableFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Set;

/**
 * The agent's own install root, as run-agent and the guard read it:
 * <pre>
 * AGENT_HOME/releases/v0.2.0/   pi-agent.jar, VERSION, optionally jvm.options and javia-ota-agent.conf
 * AGENT_HOME/current            symlink to releases/&lt;version&gt;, replaced by one rename
 * AGENT_HOME/previous           symlink to the release before the switch: the guard's way back
 * AGENT_HOME/pi-agent.jar       the legacy layout (before releases): what runs while there is no current
 * AGENT_UNIT_DROPIN_DIR/50-release.conf -> AGENT_HOME/current/javia-ota-agent.conf, when the release has one
 * </pre>
 */
public final class AgentHome {

    static final String JAR = "pi-agent.jar";
    static final String VERSION = "VERSION";
    static final String DROPIN = "javia-ota-agent.conf";
    static final String DROPIN_LINK = "50-release.conf";
    private static final String RELEASES = "releases";

    private final Path dir;
    private final Path dropinDir;

    public AgentHome(Path dir, Path dropinDir) {
        this.dir = dir;
        this.dropinDir = dropinDir;
    }

    public Path dir() {
        return dir;
    }

    public Path release(String version) {
        return dir.resolve(RELEASES).resolve(version);
    }

    /** Where a release is extracted before one rename makes it {@link #release}. */
    Path partial(String version) {
        return dir.resolve(RELEASES).resolve("." + version + ".partial");
    }

    public Path current() {
        return dir.resolve("current");
    }

    public Path previous() {
        return dir.resolve("previous");
    }

    public Path legacyJar() {
        return dir.resolve(JAR);
    }

    public Path dropinLink() {
        return dropinDir.resolve(DROPIN_LINK);
    }

    /** The jar run-agent starts: {@code current/pi-agent.jar} when {@code current} exists, else the legacy jar. */
    public Path jarToStart() {
        return Files.exists(current()) ? current().resolve(JAR) : legacyJar();
    }

    /** The release {@code current} points at; empty in the legacy layout. */
    public Optional<String> currentRelease() {
        return target(current());
    }

    public Optional<String> previousRelease() {
        return target(previous());
    }

    /** What a trial names as its {@code from}: the release {@code current} points at, or {@code legacy}. */
    String switchingFrom() {
        return currentRelease().orElse(AgentTrialFile.LEGACY);
    }

    private static Optional<String> target(Path link) {
        try {
            return Files.isSymbolicLink(link) ? Optional.of(Files.readSymbolicLink(link).getFileName().toString())
                    : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + link + ": " + e.getMessage(), e);
        }
    }

    /** Moves a fully extracted release into place (one rename, then the directory is synced). */
    void publish(String version) {
        try {
            Files.move(partial(version), release(version), StandardCopyOption.ATOMIC_MOVE);
            DurableFiles.fsyncDirectory(dir.resolve(RELEASES));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move agent release " + version + " into place: " + e.getMessage(),
                    e);
        }
    }

    /**
     * Points {@code previous} at the release the switch leaves ({@code from}), the guard's way back; for
     * {@code legacy} there is no release to point at (the guard removes {@code current}) and a stale link goes.
     */
    void pointPreviousAt(String from) {
        if (AgentTrialFile.LEGACY.equals(from)) {
            deleteLink(previous());
            return;
        }
        requireRelease(from);
        DurableFiles.replaceSymlink(previous(), Path.of(RELEASES, from));
    }

    /** Points {@code current} at {@code version} with one atomic rename. */
    void switchTo(String version) {
        requireRelease(version);
        DurableFiles.replaceSymlink(current(), Path.of(RELEASES, version));
    }

    /**
     * Puts the agent {@code from} back, as the guard's revert does: {@code current} at its release (one rename), or
     * no {@code current} at all for {@code legacy}, so that run-agent starts the legacy jar.
     */
    void revertTo(String from) {
        if (AgentTrialFile.LEGACY.equals(from)) {
            requireWayBack(from);
            deleteLink(current());
        } else {
            switchTo(from);
        }
    }

    /** Whether run-agent starts the agent {@code from} (the release, or the legacy jar). */
    boolean runs(String from) {
        return AgentTrialFile.LEGACY.equals(from) ? !Files.exists(current())
                : currentRelease().filter(from::equals).isPresent();
    }

    /**
     * Links the drop-in of the release {@code current} points at as {@code 50-release.conf}, or removes the link when
     * that release has none. The link goes through {@code current}, so it follows every later switch by itself; only
     * its presence changes.
     *
     * @return whether the drop-in directory changed (then systemd must reload)
     */
    boolean linkDropIn() {
        Path link = dropinLink();
        boolean wanted = Files.isRegularFile(current().resolve(DROPIN));
        Path target = current().resolve(DROPIN).toAbsolutePath();
        try {
            boolean present = Files.isSymbolicLink(link);
            if (wanted) {
                if (present && Files.readSymbolicLink(link).equals(target)) {
                    return false;
                }
                Files.createDirectories(dropinDir);
                DurableFiles.replaceSymlink(link, target);
                return true;
            }
            if (present || Files.exists(link)) {
                deleteLink(link);
                return true;
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot link " + link + " to " + target + ": " + e.getMessage(), e);
        }
    }

    /** Deletes what an interrupted extraction left of {@code version}. */
    void discardPartial(String version) {
        InstallRoot.deleteTree(partial(version));
    }

    /**
     * Deletes a release and its leftovers; never the one {@code current} or {@code previous} points at (the running
     * agent, or the guard's way back).
     */
    void discard(String version) {
        discardPartial(version);
        if (!currentRelease().filter(version::equals).isPresent()
                && !previousRelease().filter(version::equals).isPresent()) {
            InstallRoot.deleteTree(release(version));
        }
    }

    /** Keeps {@code keep}, current and previous, and deletes every other release and leftover. */
    void prune(Set<String> keep) {
        Path releases = dir.resolve(RELEASES);
        if (!Files.isDirectory(releases)) {
            return;
        }
        Optional<String> current = currentRelease();
        Optional<String> previous = previousRelease();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(releases)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!keep.contains(name) && !current.filter(name::equals).isPresent()
                        && !previous.filter(name::equals).isPresent()) {
                    InstallRoot.deleteTree(entry);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + releases + ": " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a switch (or a revert) that would leave no agent to come back to: {@code from} must be a release with
     * its jar, or for {@code legacy} the legacy jar must be there, as the guard needs it.
     */
    void requireWayBack(String from) {
        if (AgentTrialFile.LEGACY.equals(from)) {
            if (!Files.isRegularFile(legacyJar())) {
                throw new IllegalStateException("there is no agent to come back to: neither " + current() + " nor "
                        + legacyJar() + " exists (AGENT_HOME=" + dir + "); install the agent's package (javia-ota-agent"
                        + ".deb), or set AGENT_HOME to where it is");
            }
        } else {
            requireRelease(from);
        }
    }

    private void requireRelease(String version) {
        if (!Files.isRegularFile(release(version).resolve(JAR))) {
            throw new IllegalStateException("agent release " + version + " has no " + JAR + " in "
                    + release(version));
        }
    }

    private static void deleteLink(Path link) {
        try {
            if (Files.deleteIfExists(link)) {
                DurableFiles.fsyncDirectory(link.toAbsolutePath().getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + link + ": " + e.getMessage(), e);
        }
    }
}
