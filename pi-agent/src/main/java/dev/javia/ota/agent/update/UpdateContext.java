package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.AppHealth;
import dev.javia.ota.agent.system.Apt;
import dev.javia.ota.agent.system.FreeSpace;
import dev.javia.ota.agent.system.PythonEnvironment;
import dev.javia.ota.agent.system.Sleeper;
import dev.javia.ota.agent.system.Systemctl;
import dev.javia.ota.agent.transport.DeviceSession;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageTrust;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What the steps work with: the server session and outbox, the install root, the system commands, time.
 *
 * @param staging     where packages are downloaded ({@code STATE_DIR/staging})
 * @param healthCheck how long the restarted service must stay active
 * @param clock       the wall clock, for wall times only (the schedule, when an offer was seen)
 * @param nanoTime    the monotonic clock ({@code System::nanoTime}), for how long a step has run
 * @param idleFor     the activity tracker's answer
 * @param clockTrust  whether the wall clock may decide anything yet
 * @param alive       called while a long step makes progress (feeds the systemd watchdog)
 * @param trust       the publisher keys in force (none pinned: packages are not verified, as before signatures)
 * @param statements  the rollback statements this device installed, so that none takes it back twice
 * @param appHealth   the app's own word on whether it is well ({@code APP_HEALTH_COMMAND}, {@code APP_HEALTH_URL}),
 *                    asked by the health check; {@link AppHealth#NONE} when neither is set
 * @param freeSpace   the usable space where a path is, checked before the download and before the extraction
 * @param diskMargin  bytes ({@code DISK_MARGIN_MB}) that must stay free beyond what a download or an extraction needs
 * @param agent       the agent's own releases, trial file and running version, for the agent part of a package
 * @param deltas      whether and how an offer's delta is used ({@code DELTAS}, {@code DELTA_FALLBACK})
 */
public record UpdateContext(
        DeviceSession session,
        StatusOutbox outbox,
        InstallRoot root,
        Path staging,
        Apt apt,
        PythonEnvironment python,
        Systemctl systemctl,
        String service,
        Duration healthCheck,
        Clock clock,
        LongSupplier nanoTime,
        Sleeper sleeper,
        PackageLimits limits,
        InstallPolicy policy,
        Supplier<Duration> idleFor,
        ClockTrust clockTrust,
        Runnable alive,
        PublisherTrust trust,
        UsedStatements statements,
        // a Pi's realities (issue 16): the app's own health, disk space
        AppHealth appHealth,
        FreeSpace freeSpace,
        long diskMargin,
        // agent self-update (issue 16)
        AgentSelf agent,
        // delta updates (issue 18)
        Deltas deltas) {

    /** How a package of {@code job} must be signed to be read at all: by a key in force, when there are any. */
    PackageTrust packageTrust(UpdateJob job) {
        return PackageTrust.of(trust.keys(), job.offer().signature(), "package " + job.version());
    }

    /**
     * Fails the step (the caller's {@code onFailure}) unless {@code needed} bytes and the margin are usable where
     * {@code where} is: a full SD card fails an update with both numbers in the message, never half-way through a
     * write with "No space left on device", which could leave the state file or the release unwritable.
     *
     * @param what    "download v1.2.3", "extract v1.2.3"
     * @param account how {@code needed} is made, e.g. "package 70.0 MB"
     */
    void requireSpace(String what, Path where, long needed, String account) {
        long have = freeSpace.usableBytes(where);
        long need = needed + diskMargin;
        if (have < need) {
            throw new NotEnoughSpaceException("not enough disk space to " + what + ": needs " + FreeSpace.mb(need)
                    + " (" + account + " + " + FreeSpace.mb(diskMargin) + " margin), " + FreeSpace.mb(have) + " free on "
                    + where + "; free some space (old logs, journalctl --vacuum-size) or lower DISK_MARGIN_MB");
        }
    }

    /** A disk too full for the next step: the update fails, and says both numbers. */
    static final class NotEnoughSpaceException extends RuntimeException {
        NotEnoughSpaceException(String message) {
            super(message);
        }
    }

    Path download(UpdateJob job) {
        return staging.resolve(job.updateId() + ".zip");
    }

    /** Where the offer's delta is downloaded: its own part file, beside the package's. */
    Path deltaDownload(UpdateJob job) {
        return staging.resolve(job.updateId() + ".delta.zip");
    }

    /**
     * Queues the report, then sends everything queued; a server that is down keeps it queued. The outcome's report
     * ({@code completed}, {@code failed}) says what this install downloaded and how, once that is known.
     */
    StatusOutbox.Flush report(UpdateJob job, UpdateStatus status, String error) {
        StatusReport report = new StatusReport(session.deviceUuid(), status, error);
        Long downloaded = job.downloadedBytes();
        if ((status == UpdateStatus.COMPLETED || status == UpdateStatus.FAILED) && downloaded != null) {
            report = report.withDownload(downloaded, job.delivery());
        }
        outbox.add(job.updateId(), report);
        return outbox.flush(session);
    }
}
