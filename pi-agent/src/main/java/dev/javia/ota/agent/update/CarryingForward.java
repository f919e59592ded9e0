package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.DurableFiles;
import dev.javia.ota.protocol.api.UpdateStatus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * An agent-only package (no {@code pi_client/}) still names a release: {@code releases/<version>} is made from the
 * current release, its files hard-linked (copied where a link fails), symlinks kept as symlinks, its own
 * {@code VERSION} written, then {@code current} switched by one rename. The app's files are the same, so the app is
 * not restarted. The copy is built in {@code releases/.<version>.partial}, so the release is whole or absent.
 */
final class CarryingForward extends UpdateState {

    static final String NAME = "carrying-forward";

    CarryingForward(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        context.report(job, UpdateStatus.INSTALLING, null);
        InstallRoot root = context.root();
        String version = job.version();
        UpdateState done = completedIfCurrent(root, "already carried forward");
        if (done != null) {
            return done;
        }
        String from = job.previousVersion() != null ? job.previousVersion() : root.currentRelease().orElse(null);
        if (from == null || !Files.isDirectory(root.release(from))) {
            return onFailure("there is no current release to carry forward to " + version + " (current: "
                    + root.current() + "); publish an update with the app (pi_client/) first");
        }
        root.discard(version);
        Path partial = root.partial(version);
        int copied = copyTree(root.release(from), partial);
        DurableFiles.write(partial.resolve(InstallRoot.VERSION), (version + "\n").getBytes(StandardCharsets.UTF_8),
                DurableFiles.WORLD_READABLE);
        root.publish(version);
        root.switchTo(version);
        UpdateLog.step(job, "carried release " + from + " forward as " + version + (copied == 0 ? ""
                : " (" + copied + " files copied where hard links failed)") + "; the app keeps running");
        return new Reporting(job.withPreviousVersion(from).completed());
    }

    /**
     * Mirrors {@code source} into {@code target}: directories made, files hard-linked (copied when the file system
     * refuses a link), symlinks recreated as they are.
     *
     * @return how many files had to be copied
     */
    static int copyTree(Path source, Path target) {
        int copied = 0;
        try (Stream<Path> walk = Files.walk(source)) {
            List<Path> paths = walk.toList();
            for (Path path : paths) {
                Path to = target.resolve(source.relativize(path).toString());
                if (Files.isSymbolicLink(path)) {
                    Files.createSymbolicLink(to, Files.readSymbolicLink(path));
                } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(to);
                } else {
                    try {
                        Files.createLink(to, path);
                    } catch (FileSystemException | UnsupportedOperationException e) {
                        Files.copy(path, to, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                        copied++;
                    }
                }
            }
            return copied;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot carry " + source + " forward into " + target + ": "
                    + e.getMessage(), e);
        }
    }
}
