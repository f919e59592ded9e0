package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.FreeSpace;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.pkg.ManifestEntry;
import dev.javia.ota.protocol.pkg.PackageExtractor;
import dev.javia.ota.protocol.pkg.PackageLayout;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.UpdateMetadata;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reports {@code installing} and unpacks the package into {@code releases/.<version>.partial}, then renames it to
 * {@code releases/<version>}: a release directory is whole or absent. The extractor refuses {@code ..}, absolute
 * paths, links and oversized content, and, with publisher keys, a package their signature does not cover.
 * Remembers which release {@code current} pointed at, for a rollback. Before it unpacks, the install dir's filesystem
 * must hold the manifest's total size and {@code DISK_MARGIN_MB}.
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
        UpdateState done = completedIfCurrent(root, "already installed");
        if (done != null) {
            return done;
        }
        // current moves only in the switching step, so here it still names the release to return to
        UpdateJob withPrevious = job.withPreviousVersion(root.currentRelease().orElse(null));
        root.discard(version);
        byte[] metadata = metadataBytes(context.download(job), context.limits());
        long unpacked = UpdateMetadata.read(new ByteArrayInputStream(metadata)).files().stream()
                .mapToLong(ManifestEntry::size).sum();
        context.requireSpace("extract " + version, root.release(version).getParent(), unpacked,
                "the manifest's " + FreeSpace.mb(unpacked));
        UpdateLog.step(job, "extracting into " + root.release(version));
        // verified again, as read: the file on disk may have changed since verifying (a resume, another writer)
        PackageExtractor.extract(context.download(job), root.partial(version), context.limits(),
                context.packageTrust(job));
        // beside the release, before it is published: what a delta to the next version is checked against
        root.keepManifest(version, metadata);
        root.publish(version);
        return new InstallingSystemPackages(withPrevious);
    }

    /**
     * The bytes of the package's {@code update_metadata.json}, as the publisher signed them: kept beside the release,
     * their SHA-256 is what a delta's {@code base_manifest_sha256} names. At most the limits' metadata size (the
     * verified package's is within it), counted as read: a ZIP's declared sizes are not trusted.
     */
    static byte[] metadataBytes(Path zip, PackageLimits limits) {
        try (ZipFile file = new ZipFile(zip.toFile())) {
            ZipEntry entry = file.getEntry(PackageLayout.METADATA);
            if (entry == null) {
                throw new IllegalStateException(zip + " has no " + PackageLayout.METADATA);
            }
            try (InputStream in = file.getInputStream(entry)) {
                byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limits.maxMetadataBytes() + 1));
                if (bytes.length > limits.maxMetadataBytes()) {
                    throw new IllegalStateException(zip + ": " + PackageLayout.METADATA + " is over "
                            + limits.maxMetadataBytes() + " bytes");
                }
                return bytes;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifest of " + zip + ": " + e.getMessage(), e);
        }
    }

    /**
     * The package's metadata, for the manifest's total size: every file the release will hold. Read from the package
     * verifying accepted (its metadata is within the limits); the extraction then checks each file against it as it
     * writes.
     */
    static UpdateMetadata metadata(Path zip) {
        try (ZipFile file = new ZipFile(zip.toFile())) {
            ZipEntry entry = file.getEntry(PackageLayout.METADATA);
            if (entry == null) {
                throw new IllegalStateException(zip + " has no " + PackageLayout.METADATA);
            }
            try (InputStream in = file.getInputStream(entry)) {
                return UpdateMetadata.read(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifest of " + zip + ": " + e.getMessage(), e);
        }
    }
}
