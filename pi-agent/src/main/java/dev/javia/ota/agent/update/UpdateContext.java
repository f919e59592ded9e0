package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.Apt;
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
 * @param agent       the agent's own releases, trial file and running version, for the agent part of a package
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
        AgentSelf agent) {

    /** How a package of {@code job} must be signed to be read at all: by a key in force, when there are any. */
    PackageTrust packageTrust(UpdateJob job) {
        return PackageTrust.of(trust.keys(), job.offer().signature(), "package " + job.version());
    }

    Path download(UpdateJob job) {
        return staging.resolve(job.updateId() + ".zip");
    }

    /** Queues the report, then sends everything queued; a server that is down keeps it queued. */
    StatusOutbox.Flush report(UpdateJob job, UpdateStatus status, String error) {
        outbox.add(job.updateId(), new StatusReport(session.deviceUuid(), status, error));
        return outbox.flush(session);
    }
}
