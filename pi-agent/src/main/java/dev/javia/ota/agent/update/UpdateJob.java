package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.DeltaOffer;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateStatus;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * What the machine knows about the update it is working on, persisted with its state.
 *
 * @param offer           the check's answer: id, version, URL, size and SHA-256
 * @param scheduledFor    when the server scheduled it (null: the device's next install hour after {@code offeredAt})
 * @param windowEndsAt    for a scheduled update, when the night's window of {@code scheduledFor} closes: no install
 *                        starts at or after it (null: a server before {@code window_ends_at}, or urgent)
 * @param offeredAt       when this device first saw the offer; a wall time (it survives restarts, as the monotonic
 *                        clock does not), used only with a server that sends no {@code scheduled_for}
 * @param systemPackages  what apt installs: the offer's and the package's lists, once verified
 * @param previousVersion the release {@code current} pointed at before the switch: where a rollback returns
 * @param outcome         completed or failed, once known
 * @param failure         why it failed, for the operator
 * @param agentVersion    the agent release this update installs before its app part; null when the package carries
 *                        none, or the running agent is already that version (then the agent part is skipped)
 * @param agentFrom       the agent {@code current} pointed at before the agent's switch ({@code legacy} for the layout
 *                        before releases): where the agent's revert returns
 * @param appIncluded     false for an agent-only package (no {@code pi_client/}: the release is carried forward); null
 *                        in a file of an agent before self-updates, read as true
 * @param delivery        how the release gets here (issue 18): {@value StatusReport#DELTA} from the offer's delta,
 *                        {@value StatusReport#FULL} from the package; decided when the install starts, and
 *                        {@value StatusReport#FULL} again after a delta that could not be used. Null before that
 *                        decision, and in a file of an agent before deltas (the package, as always)
 * @param deltaFallback   why the offer's delta was not used (it did not fit the installed release, or failed during
 *                        the download or the assembly); null when it was used, or none was offered
 * @param deltaBytes      the delta's bytes this install downloaded, used or not; null for none
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateJob(
        UpdateOffer offer,
        Instant scheduledFor,
        Instant windowEndsAt,
        Instant offeredAt,
        List<String> systemPackages,
        String previousVersion,
        UpdateStatus outcome,
        String failure,
        String agentVersion,
        String agentFrom,
        Boolean appIncluded,
        // delta updates (issue 18)
        String delivery,
        String deltaFallback,
        Long deltaBytes) {

    public UpdateJob {
        systemPackages = systemPackages == null ? List.of() : List.copyOf(systemPackages);
    }

    static UpdateJob offered(UpdateOffer offer, Instant scheduledFor, Instant windowEndsAt, Instant now) {
        return new UpdateJob(offer, scheduledFor, windowEndsAt, now, List.of(), null, null, null, null, null, null,
                null, null, null);
    }

    /** This job on the delta path: the offer's delta is downloaded and the release assembled from it. */
    UpdateJob onDelta() {
        return new UpdateJob(offer, scheduledFor, windowEndsAt, offeredAt, systemPackages, previousVersion, outcome,
                failure, agentVersion, agentFrom, appIncluded, StatusReport.DELTA, null, deltaBytes);
    }

    /**
     * This job on the package's path; {@code why} says why the offer's delta is not used (null: none was offered, or
     * deltas are off), {@code downloaded} the delta's bytes fetched before it was given up (null: none).
     */
    UpdateJob onPackage(String why, Long downloaded) {
        return new UpdateJob(offer, scheduledFor, windowEndsAt, offeredAt, systemPackages, previousVersion, outcome,
                failure, agentVersion, agentFrom, appIncluded, StatusReport.FULL, bounded(why), downloaded);
    }

    /**
     * This job back on the delta's account after the full package was refused ({@code DELTA_FALLBACK=refuse}):
     * the package was never downloaded, and the outcome's report says so.
     */
    UpdateJob packageRefused() {
        return new UpdateJob(offer, scheduledFor, windowEndsAt, offeredAt, systemPackages, previousVersion, outcome,
                failure, agentVersion, agentFrom, appIncluded, StatusReport.DELTA, deltaFallback, deltaBytes);
    }

    /** The delta's bytes on disk once its download is complete. */
    UpdateJob withDeltaBytes(long bytes) {
        return new UpdateJob(offer, scheduledFor, windowEndsAt, offeredAt, systemPackages, previousVersion, outcome,
                failure, agentVersion, agentFrom, appIncluded, delivery, deltaFallback, bytes);
    }

    /** Whether the release is assembled from the offer's delta. */
    boolean viaDelta() {
        return StatusReport.DELTA.equals(delivery);
    }

    /**
     * What this install downloaded, for the outcome's report: the delta's bytes, used or not, and the package's when
     * it was downloaded. Null when that is not known: nothing was decided yet (a job refused before it started), or
     * the file is an agent's before deltas.
     */
    Long downloadedBytes() {
        if (delivery == null) {
            return null;
        }
        long delta = deltaBytes == null ? 0 : deltaBytes;
        return viaDelta() ? delta : delta + offer.sizeBytes();
    }

    /** Whether the package has an app part ({@code pi_client/}); an agent-only package has none. */
    boolean includesApp() {
        return appIncluded == null || appIncluded;
    }

    UUID updateId() {
        return offer.id();
    }

    String version() {
        return offer.version();
    }

    UpdateJob withSchedule(Instant newScheduledFor, Instant newWindowEndsAt) {
        return new UpdateJob(offer, newScheduledFor, newWindowEndsAt, offeredAt, systemPackages, previousVersion,
                outcome, failure, agentVersion, agentFrom, appIncluded, delivery,
                deltaFallback, deltaBytes);
    }

    /** The same offer, naming the delta of the latest check (null: none). */
    UpdateJob withDelta(DeltaOffer delta) {
        return new UpdateJob(offer.withDelta(delta), scheduledFor, windowEndsAt, offeredAt, systemPackages,
                previousVersion, outcome, failure, agentVersion, agentFrom, appIncluded, delivery, deltaFallback,
                deltaBytes);
    }

    UpdateJob withSystemPackages(List<String> packages) {
        return new UpdateJob(offer, scheduledFor, windowEndsAt, offeredAt, packages, previousVersion, outcome,
                failure, agentVersion, agentFrom, appIncluded, delivery,
                deltaFallback, deltaBytes);
    }

    UpdateJob withPreviousVersion(String version) {
        return new UpdateJob(offer, scheduledFor, windowEndsAt, offeredAt, systemPackages, version, outcome, failure,
                agentVersion, agentFrom, appIncluded, delivery,
                deltaFallback, deltaBytes);
    }

    /** The package's parts as verification found them: the agent release to install (or null), and the app's. */
    UpdateJob withParts(String newAgentVersion, boolean includesApp) {
        return new UpdateJob(offer, scheduledFor, windowEndsAt, offeredAt, systemPackages, previousVersion, outcome,
                failure, newAgentVersion, agentFrom, includesApp, delivery,
                deltaFallback, deltaBytes);
    }

    UpdateJob withAgentFrom(String from) {
        return new UpdateJob(offer, scheduledFor, windowEndsAt, offeredAt, systemPackages, previousVersion, outcome,
                failure, agentVersion, from, appIncluded, delivery,
                deltaFallback, deltaBytes);
    }

    UpdateJob completed() {
        return new UpdateJob(offer, scheduledFor, windowEndsAt, offeredAt, systemPackages, previousVersion,
                UpdateStatus.COMPLETED, null, agentVersion, agentFrom, appIncluded, delivery,
                deltaFallback, deltaBytes);
    }

    UpdateJob failedWith(String reason) {
        return new UpdateJob(offer, scheduledFor, windowEndsAt, offeredAt, systemPackages, previousVersion,
                UpdateStatus.FAILED, bounded(reason), agentVersion, agentFrom, appIncluded, delivery,
                deltaFallback, deltaBytes);
    }

    /**
     * The longest failure kept: it is written to the state file at each step and to the outbox, and a command's
     * last lines can be one 16 KB line. The start (what failed) and the end (what was done about it) are kept.
     */
    static final int MAX_FAILURE = 2000;

    private static String bounded(String reason) {
        if (reason == null || reason.length() <= MAX_FAILURE) {
            return reason;
        }
        String cut = " [...] ";
        int head = MAX_FAILURE * 2 / 3;
        return reason.substring(0, head) + cut + reason.substring(reason.length() - (MAX_FAILURE - head - cut.length()));
    }

    /** Dropped without a report: the server no longer wants it (superseded) or it never started. */
    UpdateJob abandoned() {
        return new UpdateJob(offer, scheduledFor, windowEndsAt, offeredAt, systemPackages, previousVersion, null, null,
                agentVersion, agentFrom, appIncluded, delivery,
                deltaFallback, deltaBytes);
    }
}
