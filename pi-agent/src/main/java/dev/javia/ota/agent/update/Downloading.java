package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.FreeSpace;
import dev.javia.ota.protocol.api.UpdateStatus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reports {@code downloading} and fetches the package into the staging area, resuming with HTTP Range after a
 * broken connection or a restart. A server that is down leaves the machine here, to try again later. Before a byte
 * is fetched, the staging dir's filesystem must hold what is still to come and {@code DISK_MARGIN_MB}.
 *
 * <p>After a delta that could not be used ({@link UpdateJob#deltaFallback}), the delta's file goes first, and with
 * {@code DELTA_FALLBACK=refuse} the update fails here, before a byte of the package is fetched.
 */
final class Downloading extends UpdateState {

    static final String NAME = "downloading";
    /** Reported once per run of this step; a restart reports again (the server takes a repeated report). */
    private boolean reported;

    Downloading(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        if (job.deltaFallback() != null && context.deltas().refuseFallback()) {
            return new Failed(job.packageRefused().failedWith(NAME + ": the delta could not be used ("
                    + job.deltaFallback() + "); " + Deltas.REFUSED));
        }
        try {
            Files.deleteIfExists(context.deltaDownload(job));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the delta " + context.deltaDownload(job) + ": "
                    + e.getMessage(), e);
        }
        if (!reported) {
            StatusOutbox.Flush flush = context.report(job, UpdateStatus.DOWNLOADING, null);
            if (flush.refused(job.updateId(), UpdateStatus.DOWNLOADING)) {
                // superseded before it started: drop it, the next check offers the newer one
                UpdateLog.warn(job, "dropped: the server no longer offers this update to this device");
                return new Done(job.abandoned());
            }
            reported = true;
        }
        Path part = context.download(job);
        long size = job.offer().sizeBytes();
        long have;
        try {
            Files.createDirectories(part.getParent());
            have = Files.exists(part) ? Files.size(part) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + part.getParent() + ": " + e.getMessage(), e);
        }
        // what is still to come, where it goes: a resumed download needs only the rest
        long rest = Math.max(0, size - have);
        context.requireSpace("download " + job.version(), context.staging(), rest, have > 0 && have < size
                ? "the package's remaining " + FreeSpace.mb(rest) + " of " + FreeSpace.mb(size)
                : "package " + FreeSpace.mb(size));
        UpdateLog.step(job, "downloading " + size + " bytes" + (have > 0 ? ", resuming at byte " + have : ""));
        int[] lastTenth = {-1};
        long got = context.session().download(job.offer().packageUrl(), job.offer().sha256(), size, part, bytes -> {
            context.alive().run();
            Integer percent = percentOf(bytes, size);
            int tenth = percent == null ? 10 : percent / 10;
            if (tenth != lastTenth[0]) {
                lastTenth[0] = tenth;
                UpdateLog.step(job, "downloading: " + (tenth * 10) + "% (" + bytes + " of " + size + " bytes)");
            }
        });
        UpdateLog.step(job, "downloaded " + got + " bytes");
        return new Verifying(job);
    }

    /** The bytes on disk: a download that grows between stops is getting further, however often it stops. */
    @Override
    long progress(UpdateContext context) {
        try {
            Path part = context.download(job);
            return Files.exists(part) ? Files.size(part) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** The bytes on disk as a share of the offer's {@code size_bytes}, as the heartbeat's {@code progress_percent}. */
    @Override
    Integer percentDone(UpdateContext context) {
        return percentOf(progress(context), job.offer().sizeBytes());
    }

    /** Rounded down, so that 100 means all of it; null when the offer announced no size. */
    static Integer percentOf(long bytes, long size) {
        return size <= 0 ? null : (int) Math.max(0, Math.min(100, bytes * 100 / size));
    }
}
