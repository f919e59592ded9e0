package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.FreeSpace;
import dev.javia.ota.agent.transport.ServerUnavailableException;
import dev.javia.ota.protocol.api.DeltaOffer;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.Version;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Reports {@code downloading} and fetches the offer's delta into its own part file, resuming with HTTP Range as the
 * package's download does, then checks its size and SHA-256 against the offer's. A server that is down leaves the
 * machine here, to try again later; anything else that goes wrong (the server no longer has the delta, a checksum that
 * does not match) gives the delta up for the full package, the reason kept for the report ({@link Downloading} refuses
 * that with {@code DELTA_FALLBACK=refuse}).
 *
 * <p>{@link #choose} decides, when the install starts, whether the delta fits: deltas are on, the offer has one, and
 * the installed release is its base, by version and by the SHA-256 of the {@code update_metadata.json} kept beside it
 * ({@link InstallRoot#manifest}).
 */
final class DownloadingDelta extends UpdateState {

    static final String NAME = "downloading-delta";
    /** Reported once per run of this step; a restart reports again (the server takes a repeated report). */
    private boolean reported;

    DownloadingDelta(UpdateJob job) {
        super(NAME, job);
    }

    /**
     * Where an install starts: the delta's download when the offer's delta fits the installed release, else the
     * package's, with the reason the delta is not used when there was one.
     */
    static UpdateState choose(UpdateContext context, UpdateJob job) {
        DeltaOffer delta = job.offer().delta();
        if (delta == null) {
            return new Downloading(job.onPackage(null, null));
        }
        if (!context.deltas().enabled()) {
            UpdateLog.step(job, "delta from " + delta.baseVersion() + " offered; DELTAS=off: downloading the package");
            return new Downloading(job.onPackage(null, null));
        }
        Optional<String> misfit = misfit(context, delta);
        if (misfit.isPresent()) {
            UpdateLog.warn(job, "delta not used: " + misfit.get());
            return new Downloading(job.onPackage(misfit.get(), null));
        }
        UpdateLog.step(job, "delta from " + delta.baseVersion() + " fits the installed release: downloading "
                + delta.sizeBytes() + " bytes instead of the package's " + job.offer().sizeBytes());
        return new DownloadingDelta(job.onDelta());
    }

    /** Why the offer's delta does not fit this device's installed release; empty when it does. */
    private static Optional<String> misfit(UpdateContext context, DeltaOffer delta) {
        if (delta.url() == null || delta.sha256() == null || !Sha256.isHex(delta.sha256()) || delta.sizeBytes() <= 0
                || delta.manifestSha256() == null || delta.baseManifestSha256() == null
                || delta.baseVersion() == null || Version.tryParse(delta.baseVersion()).isEmpty()) {
            return Optional.of("the offer's delta lacks its URL, size, checksums or base version");
        }
        InstallRoot root = context.root();
        String installed = root.currentRelease().orElse(null);
        if (!delta.baseVersion().equals(installed)) {
            return Optional.of("the delta is from " + delta.baseVersion() + ", this device runs "
                    + (installed == null ? "no release under " + root.dir().resolve(InstallRoot.RELEASES) : installed));
        }
        Optional<String> kept = root.manifestSha256(installed);
        if (kept.isEmpty()) {
            return Optional.of("release " + installed + " has no " + root.manifest(installed).getFileName()
                    + " beside it (installed before delta updates, or carried forward): the full package installs one");
        }
        if (!kept.get().equals(delta.baseManifestSha256().toLowerCase(Locale.ROOT))) {
            return Optional.of("release " + installed + " was installed from a package whose update_metadata.json has "
                    + "SHA-256 " + kept.get() + ", the delta's base has " + delta.baseManifestSha256()
                    + " (the version was published again?)");
        }
        return Optional.empty();
    }

    @Override
    UpdateState run(UpdateContext context) {
        if (!reported) {
            StatusOutbox.Flush flush = context.report(job, UpdateStatus.DOWNLOADING, null);
            if (flush.refused(job.updateId(), UpdateStatus.DOWNLOADING)) {
                UpdateLog.warn(job, "dropped: the server no longer offers this update to this device");
                return new Done(job.abandoned());
            }
            reported = true;
        }
        DeltaOffer delta = job.offer().delta();
        Path part = context.deltaDownload(job);
        long size = delta.sizeBytes();
        try {
            Files.createDirectories(part.getParent());
            long have = Files.exists(part) ? Files.size(part) : 0;
            long rest = Math.max(0, size - have);
            context.requireSpace("download the delta of " + job.version(), context.staging(), rest,
                    "the delta " + FreeSpace.mb(size));
            UpdateLog.step(job, "downloading the delta from " + delta.baseVersion() + ": " + size + " bytes"
                    + (have > 0 ? ", resuming at byte " + have : ""));
            context.session().download(delta.url(), delta.sha256(), size, part, bytes -> context.alive().run());
            long got = Files.size(part);
            String sha256 = Sha256.of(part);
            if (got != size) {
                return fallBack(context, "the delta is " + got + " bytes, the server announced " + size);
            }
            if (!sha256.equals(delta.sha256().toLowerCase(Locale.ROOT))) {
                return fallBack(context, "the delta's SHA-256 is " + sha256 + ", the server announced "
                        + delta.sha256());
            }
            UpdateLog.step(job, "downloaded and verified the delta: " + got + " bytes, sha256 " + sha256);
            return new Assembling(job.withDeltaBytes(got));
        } catch (ServerUnavailableException e) {
            // the network or the server: the part file is kept and the download resumes later, as the package's
            throw e;
        } catch (IOException e) {
            return fallBack(context, "cannot read or write " + part + ": " + e.getMessage());
        } catch (RuntimeException e) {
            return fallBack(context, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** Gives the delta up: what was downloaded of it is counted and deleted, and the package is downloaded. */
    private UpdateState fallBack(UpdateContext context, String reason) {
        Path part = context.deltaDownload(job);
        long bytes;
        try {
            bytes = Files.exists(part) ? Files.size(part) : 0;
            Files.deleteIfExists(part);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the delta " + part + ": " + e.getMessage(), e);
        }
        UpdateLog.warn(job, NAME + ": delta given up: " + reason);
        return new Downloading(job.onPackage(NAME + ": " + reason, bytes));
    }

    /** A step that keeps failing here (the agent stopping in it each time) gives the delta up, not the update. */
    @Override
    UpdateState onFailure(String reason) {
        return new Downloading(job.onPackage(NAME + ": " + reason, job.deltaBytes()));
    }

    /** The delta's bytes on disk: a download that grows between stops is getting further. */
    @Override
    long progress(UpdateContext context) {
        try {
            Path part = context.deltaDownload(job);
            return Files.exists(part) ? Files.size(part) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    Integer percentDone(UpdateContext context) {
        return Downloading.percentOf(progress(context), job.offer().delta().sizeBytes());
    }
}
