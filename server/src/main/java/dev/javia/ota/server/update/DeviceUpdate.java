package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.server.web.ApiException;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** One device and one update: where the device stands with it (the seed's {@code device_updates}). */
@Entity
@Table(name = "device_updates")
public class DeviceUpdate {

    private static final int MAX_ERROR = 4000;

    /**
     * The moves a device may report. Failed may start again at downloading (a retry); a report of the status the
     * row already has is accepted and changes nothing, so a report repeated after a lost answer is harmless.
     */
    private static final Map<UpdateStatus, Set<UpdateStatus>> NEXT = Map.of(
            UpdateStatus.PENDING, EnumSet.of(UpdateStatus.DOWNLOADING, UpdateStatus.FAILED),
            UpdateStatus.DOWNLOADING, EnumSet.of(UpdateStatus.INSTALLING, UpdateStatus.FAILED),
            UpdateStatus.INSTALLING, EnumSet.of(UpdateStatus.COMPLETED, UpdateStatus.FAILED),
            UpdateStatus.FAILED, EnumSet.of(UpdateStatus.DOWNLOADING),
            UpdateStatus.COMPLETED, EnumSet.noneOf(UpdateStatus.class),
            UpdateStatus.SUPERSEDED, EnumSet.noneOf(UpdateStatus.class));

    @Id
    private UUID id;
    private UUID deviceId;
    private UUID updateId;
    @Convert(converter = UpdateStatusConverter.class)
    private UpdateStatus status;
    private Instant scheduledFor;
    private Instant startedAt;
    private Instant completedAt;
    private String errorMessage;
    private Instant createdAt;
    private Instant updatedAt;
    /** What the install downloaded, as the device said (null: not said, or an agent before deltas). */
    private Long downloadedBytes;
    /** How the release got there: {@code delta} or {@code full}; null when not said. */
    private String delivery;

    protected DeviceUpdate() {
    }

    /** Applies a device's report; answers whether anything changed. A move the rules refuse is a 409. */
    boolean report(UpdateStatus next, String error, Instant now) {
        boolean deviceMayReport = next != UpdateStatus.PENDING && next != UpdateStatus.SUPERSEDED;
        if (deviceMayReport && next == status) {
            return false;
        }
        if (!deviceMayReport || !NEXT.get(status).contains(next)) {
            throw ApiException.conflict(refusal(next));
        }
        if (next == UpdateStatus.DOWNLOADING) {
            startedAt = now;
            completedAt = null;
            errorMessage = null;
            // a new attempt: what an earlier one downloaded is not this one's
            downloadedBytes = null;
            delivery = null;
        }
        if (next == UpdateStatus.COMPLETED || next == UpdateStatus.FAILED) {
            completedAt = now;
        }
        if (next == UpdateStatus.FAILED) {
            // kept whatever it holds (a refused failure report would be sent again for ever): a NUL, which
            // PostgreSQL cannot store, becomes U+FFFD, and an overlong message is cut
            String kept = error == null ? null : error.replace('\0', '\uFFFD');
            errorMessage = kept == null || kept.isBlank() ? "the device reported a failure without a message"
                    : kept.length() > MAX_ERROR ? kept.substring(0, MAX_ERROR) : kept;
        }
        status = next;
        updatedAt = now;
        return true;
    }

    /**
     * Keeps what the device says this install downloaded, with a report it accepted. Kept whatever the rest holds, as
     * the error message is (a refused report would be sent again for ever): bytes below zero and a delivery that is
     * neither {@code delta} nor {@code full} are not kept. Answers whether everything said was kept.
     */
    boolean downloaded(Long bytes, String how, Instant now) {
        boolean kept = true;
        if (bytes != null) {
            if (bytes >= 0) {
                downloadedBytes = bytes;
                updatedAt = now;
            } else {
                kept = false;
            }
        }
        if (how != null) {
            if (StatusReport.DELTA.equals(how) || StatusReport.FULL.equals(how)) {
                delivery = how;
                updatedAt = now;
            } else {
                kept = false;
            }
        }
        return kept;
    }

    /**
     * Moves a pending update's time to now: not a window's start, so the device's turn is now (NightlyWindow.turn).
     * One the device has started, finished or lost to a newer one is a 409.
     */
    void installNow(Instant now) {
        if (status != UpdateStatus.PENDING) {
            throw ApiException.conflict("only a pending update can be installed now; on this device it is "
                    + status.wire() + (status == UpdateStatus.SUPERSEDED ? ": install the newer one" : ""));
        }
        scheduledFor = now;
        updatedAt = now;
    }

    /**
     * An operator's retry of a failed update: pending again, due now (the device installs it at its next check, once
     * idle, as after {@link #installNow}). Answers the error it had. Anything but a failed update is a 409.
     */
    String retry(Instant now) {
        if (status != UpdateStatus.FAILED) {
            throw ApiException.conflict("only a failed update can be retried; on this device it is " + status.wire());
        }
        String error = errorMessage;
        status = UpdateStatus.PENDING;
        scheduledFor = now;
        startedAt = null;
        completedAt = null;
        errorMessage = null;
        updatedAt = now;
        return error;
    }

    private String refusal(UpdateStatus next) {
        if (next == UpdateStatus.PENDING || next == UpdateStatus.SUPERSEDED) {
            return "a device cannot report " + next.wire() + "; it reports downloading, installing, completed or failed";
        }
        if (status == UpdateStatus.SUPERSEDED) {
            return "this update was superseded by a newer one before it started: check for updates again";
        }
        if (status == UpdateStatus.COMPLETED) {
            return "this update is already completed on this device; it cannot become " + next.wire();
        }
        return "cannot go from " + status.wire() + " to " + next.wire() + ": after " + status.wire()
                + " comes " + NEXT.get(status).stream().map(UpdateStatus::wire).toList();
    }

    DeviceUpdateView view(String deviceUuid, String version) {
        return new DeviceUpdateView(id, deviceUuid, updateId, version, status, scheduledFor, startedAt, completedAt,
                errorMessage, createdAt, updatedAt);
    }

    /** Offered and not finished: the device may still download or install it. */
    boolean isOpen() {
        return status == UpdateStatus.PENDING || status == UpdateStatus.DOWNLOADING
                || status == UpdateStatus.INSTALLING;
    }

    UpdateStatus status() {
        return status;
    }

    Instant scheduledFor() {
        return scheduledFor;
    }

    UUID updateId() {
        return updateId;
    }
}
