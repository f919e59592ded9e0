package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.pkg.PackageExtractor;

/**
 * Reports {@code installing} and unpacks the package into {@code releases/.<version>.partial}, then renames it to
 * {@code releases/<version>}: a release directory is whole or absent. The extractor refuses {@code ..}, absolute
 * paths, links and oversized content, and, with publisher keys, a package their signature does not cover.
 * Remembers which release {@code current} pointed at, for a rollback.
 */
final class Extracting extends UpdateState {

    static final String NAME = "extracting";

    Extracting(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        context.report(job, UpdateStatus.INSTALLING, null);
        InstallRoot root = context.root();
        String version = job.version();
        if (root.currentRelease().filter(version::equals).isPresent()) {
            UpdateLog.step(job, "already installed: current points at " + version);
            return new Reporting(job.completed());
        }
        // current moves only in the switching step, so here it still names the release to return to
        UpdateJob withPrevious = job.withPreviousVersion(root.currentRelease().orElse(null));
        root.discard(version);
        UpdateLog.step(job, "extracting into " + root.release(version));
        // verified again, as read: the file on disk may have changed since verifying (a resume, another writer)
        PackageExtractor.extract(context.download(job), root.partial(version), context.limits(),
                context.packageTrust(job));
        root.publish(version);
        return new InstallingSystemPackages(withPrevious);
    }
}
