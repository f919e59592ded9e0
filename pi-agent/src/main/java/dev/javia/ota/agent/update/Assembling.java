package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.FreeSpace;
import dev.javia.ota.protocol.api.DeltaOffer;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.pkg.AgentRelease;
import dev.javia.ota.protocol.pkg.ManifestEntry;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.UpdateMetadata;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reports {@code installing} and builds {@code releases/.<version>.partial} from the current release and the
 * downloaded delta ({@link Deltas.Assembler}: unchanged files linked or copied, patches applied, and then every file
 * verified against the target manifest, with publisher keys the manifest's signature first), keeps the target's
 * {@code update_metadata.json} beside it and renames it to {@code releases/<version>}: a release is whole or absent,
 * as after {@link Extracting}. Then the same checks as {@link Verifying} makes of a package's metadata, and on to the
 * same steps.
 *
 * <p>A delta that does not give the target release (a file of the current release changed on the device, a broken
 * delta, an agent part, which deltas do not carry) is given up for the full package, the reason kept for the report.
 * Nothing is streamed through memory whole: the assembler works file by file.
 */
final class Assembling extends UpdateState {

    static final String NAME = "assembling";

    Assembling(UpdateJob job) {
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
        DeltaOffer delta = job.offer().delta();
        String base = root.currentRelease().orElse(null);
        if (!delta.baseVersion().equals(base)) {
            return fallBack(context, "the delta is from " + delta.baseVersion() + ", current is now " + base);
        }
        // current moves only in the switching step, so here it still names the release to return to
        UpdateJob withPrevious = job.withPreviousVersion(base);
        // what an earlier run left (a cut in the middle of the assembly) is deleted: the assembly starts again
        root.discard(version);
        Path deltaFile = context.deltaDownload(job);
        UpdateMetadata metadata;
        byte[] manifest;
        try {
            // the target's update_metadata.json, as the delta holds it byte for byte: the manifest to keep
            manifest = Extracting.metadataBytes(deltaFile, context.limits());
            String sha256 = Sha256.of(manifest);
            if (!sha256.equals(delta.manifestSha256().toLowerCase(Locale.ROOT))) {
                return fallBack(context, "the delta's update_metadata.json has SHA-256 " + sha256 + ", the offer "
                        + "names " + delta.manifestSha256());
            }
            long unpacked = UpdateMetadata.read(new ByteArrayInputStream(manifest)).files().stream()
                    .mapToLong(ManifestEntry::size).sum();
            context.requireSpace("assemble " + version, root.release(version).getParent(), unpacked,
                    "the manifest's " + FreeSpace.mb(unpacked) + ", unchanged files linked where they can be");
            UpdateLog.step(job, "assembling " + root.release(version) + " from " + base + " and the delta");
            metadata = context.deltas().assembler().assemble(deltaFile, root.release(base), root.partial(version),
                    context.limits(), context.packageTrust(job), delta.manifestSha256());
        } catch (UpdateContext.NotEnoughSpaceException e) {
            // the full package needs more room still: fail with the numbers, as an extraction would
            return new Failed(job.failedWith(NAME + ": " + e.getMessage()));
        } catch (IOException | RuntimeException e) {
            root.discard(version);
            return fallBack(context, e.getMessage() == null ? e.toString() : e.getMessage());
        }
        AgentRelease agent = metadata.agent();
        if (!metadata.includesApp() || (agent != null && !agent.version().equals(context.agent().running()))) {
            root.discard(version);
            return fallBack(context, "the update carries agent " + (agent == null ? "" : agent.version()) + (
                    metadata.includesApp() ? "" : " only") + ", which only the full package holds");
        }
        // signed metadata (with keys), read only after the assembler verified it: held to what the package's is
        Optional<String> refusal = Verifying.refusal(context, withPrevious, metadata);
        if (refusal.isPresent()) {
            // the full package's metadata is the same bytes: it would be refused too
            root.discard(version);
            return new Failed(job.failedWith(NAME + ": " + refusal.get()));
        }
        List<String> packages = Verifying.systemPackages(withPrevious, metadata);
        root.keepManifest(version, manifest);
        root.publish(version);
        UpdateLog.step(job, "assembled and verified " + metadata.files().size() + " files from a delta of "
                + job.deltaBytes() + " bytes" + (packages.isEmpty() ? "" : ", system packages " + packages));
        return new InstallingSystemPackages(withPrevious.withSystemPackages(packages).withParts(null, true));
    }

    /** Gives the delta up for the full package; the release made so far is gone already. */
    private UpdateState fallBack(UpdateContext context, String reason) {
        UpdateLog.warn(job, NAME + ": delta given up: " + reason);
        return new Downloading(job.onPackage(NAME + ": " + reason, job.deltaBytes()));
    }

    /**
     * What the machine ends this step with (an agent that stops in it again and again, say out of memory in the
     * assembly) gives the delta up, not the update: the full package's extraction may get through. The release made
     * so far is deleted by the extraction (or by {@link Failed}).
     */
    @Override
    UpdateState onFailure(String reason) {
        return new Downloading(job.onPackage(NAME + ": " + reason, job.deltaBytes()));
    }
}
