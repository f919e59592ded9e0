package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.DeviceStatusChange;
import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.MessageOrder;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.server.audit.AuditLog;
import dev.javia.ota.server.device.Device;
import dev.javia.ota.server.device.DeviceFields;
import dev.javia.ota.server.device.DeviceRegistry;
import dev.javia.ota.server.notify.Notifications;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** A device's side of an update: its reports on the way, and which packages it may download. */
@Service
@Transactional
public class UpdateProgress {

    private static final Logger log = LoggerFactory.getLogger(UpdateProgress.class);

    private final DeviceRegistry registry;
    private final UpdateRepository updates;
    private final DeviceUpdateRepository deviceUpdates;
    private final Notifications notifications;
    private final Clock clock;
    private final AuditLog audit;

    UpdateProgress(DeviceRegistry registry, UpdateRepository updates, DeviceUpdateRepository deviceUpdates,
            Notifications notifications, Clock clock, AuditLog audit) {
        this.audit = audit;
        this.registry = registry;
        this.updates = updates;
        this.deviceUpdates = deviceUpdates;
        this.notifications = notifications;
        this.clock = clock;
    }

    DeviceUpdateView report(UUID updateId, StatusReport report, Caller caller) {
        if (report == null || report.status() == null) {
            throw ApiException.badRequest("the report needs status: one of downloading | installing | completed | failed");
        }
        String deviceUuid = reporter(report, caller);
        MessageOrder order = DeviceFields.order(report.runId(), report.seq());
        Update update = updates.findById(updateId)
                .orElseThrow(() -> ApiException.notFound("no update " + updateId + " exists"));
        Device device = registry.lock(deviceUuid);
        DeviceUpdate deviceUpdate = deviceUpdates.findByDeviceIdAndUpdateId(device.id(), updateId)
                .orElseThrow(() -> ApiException.notFound("update " + update.version()
                        + " is not scheduled for device " + deviceUuid));
        UpdateStatus before = deviceUpdate.status();
        boolean moved = deviceUpdate.report(report.status(), report.errorMessage(), clock.instant());
        if ((report.downloadedBytes() != null || report.delivery() != null)
                && !deviceUpdate.downloaded(report.downloadedBytes(), report.delivery(), clock.instant())) {
            log.warn("update download not kept device_uuid={} version={} downloaded_bytes={} delivery=\"{}\"",
                    deviceUuid, update.version(), report.downloadedBytes(), report.delivery());
        }
        if (moved) {
            log.info("update status device_uuid={} version={} from={} to={}{}{}", deviceUuid, update.version(),
                    before.wire(), report.status().wire(),
                    report.status() == UpdateStatus.FAILED ? " error=\"" + report.errorMessage() + "\"" : "",
                    report.downloadedBytes() == null ? "" : " downloaded_bytes=" + report.downloadedBytes()
                            + " delivery=" + report.delivery());
            // the row's own transitions keep a completed update completed; the device takes the report's status and
            // version unless it already sent something newer
            registry.reported(device, deviceStatusAfter(report.status(), update), order);
            if (report.status() == UpdateStatus.FAILED) {
                // only on the move to failed: the same report sent again changes nothing and tells nobody twice
                failed(device, update, deviceUpdate.view(deviceUuid, update.version()).errorMessage());
            }
        }
        return deviceUpdate.view(deviceUuid, update.version());
    }

    /**
     * The update check found that the device's agent cannot read this update's package (its format is newer than
     * the agent's {@code package_format}; an agent that never said one reads format 1): the update fails on the
     * device with the way out, once (a check that finds it failed already changes nothing), and is told like a
     * failure the device reported. The device itself stays as it is: it was never offered the update.
     */
    void failUnreadable(String deviceUuid, UUID updateId, int packageFormat, Integer deviceFormat) {
        Device device = registry.lock(deviceUuid);
        Update update = updates.findById(updateId).orElseThrow();
        DeviceUpdate deviceUpdate = deviceUpdates.findByDeviceIdAndUpdateId(device.id(), updateId).orElseThrow();
        if (!deviceUpdate.isOpen()) {
            return; // another check (or the device's own report) got there first
        }
        String error = unreadable(update, packageFormat, deviceFormat);
        deviceUpdate.report(UpdateStatus.FAILED, error, clock.instant());
        log.info("update withheld device_uuid={} version={} package_format={} agent_package_format={}",
                device.deviceUuid(), update.version(), packageFormat, deviceFormat == null ? "none" : deviceFormat);
        failed(device, update, deviceUpdate.view(device.deviceUuid(), update.version()).errorMessage());
    }

    /** What the operator reads on the device's failed update: why, and what to do. */
    static String unreadable(Update update, int packageFormat, Integer deviceFormat) {
        String why = deviceFormat == null
                ? "this device's agent cannot read packages that carry an agent release (package format "
                + packageFormat + ")"
                : "this device's agent reads packages of format " + deviceFormat + " at most, and " + update.version()
                + " is format " + packageFormat;
        return why + "; upgrade it once from the .deb (docs/operations.md \"Provision a Raspberry Pi\"), then retry the"
                + " update (javia-ota retry-failed " + update.version() + ")";
    }

    private void failed(Device device, Update update, String error) {
        String name = device.deviceName() == null || device.deviceName().isBlank() ? device.deviceUuid()
                : device.deviceName() + " (" + device.deviceUuid() + ")";
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("device_uuid", device.deviceUuid());
        data.put("device_name", device.deviceName());
        data.put("update_id", update.id());
        data.put("version", update.version());
        data.put("error_message", error);
        notifications.publish(Notifications.Events.DEVICE_UPDATE_FAILED,
                "Update " + update.version() + " failed on " + name + ": " + error, data);
    }

    /** An operator's word: this device installs this pending update at its next check, outside its window. */
    public DeviceUpdateView installNow(Caller caller, UUID updateId, String deviceUuid) {
        Update update = update(updateId);
        Device device = registry.find(deviceUuid);
        DeviceUpdate deviceUpdate = scheduled(update, device);
        Instant turnBefore = deviceUpdate.scheduledFor();
        deviceUpdate.installNow(clock.instant());
        log.info("update install-now device_uuid={} version={}", device.deviceUuid(), update.version());
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("update_id", updateId.toString());
        details.put("version", update.version());
        details.put("scheduled_for_before", turnBefore == null ? null : turnBefore.toString());
        audit.record(caller, "device_update.install_now", "device", device.deviceUuid(), details);
        return deviceUpdate.view(device.deviceUuid(), update.version());
    }

    /**
     * An operator's retry of an update that failed on one device: it is pending again and due now, so that the device
     * installs it at its next check. Refused (409) while the device has another update open, or when this one did not
     * fail. The audit log keeps the error it had.
     */
    public DeviceUpdateView retry(Caller caller, UUID updateId, String deviceUuid) {
        Update update = update(updateId);
        Device device = registry.lock(deviceUuid);
        DeviceUpdate deviceUpdate = scheduled(update, device);
        deviceUpdates.findOpen(device.id()).filter(open -> !open.updateId().equals(updateId)).ifPresent(open -> {
            throw ApiException.conflict("device " + device.deviceUuid() + " has another update open ("
                    + updates.findById(open.updateId()).map(Update::version).orElse("?") + ", "
                    + open.status().wire() + "): it finishes that one first");
        });
        String error = deviceUpdate.retry(clock.instant());
        log.info("update retry device_uuid={} version={}", device.deviceUuid(), update.version());
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("update_id", updateId.toString());
        details.put("version", update.version());
        details.put("error_message", error);
        audit.record(caller, "device_update.retried", "device", device.deviceUuid(), details);
        return deviceUpdate.view(device.deviceUuid(), update.version());
    }

    private Update update(UUID updateId) {
        return updates.findById(updateId).orElseThrow(() -> ApiException.notFound("no update " + updateId
                + " exists: GET /api/v1/updates/ lists them"));
    }

    /** The device's record of {@code update}, or a 404 when the update was never scheduled for it. */
    private DeviceUpdate scheduled(Update update, Device device) {
        return deviceUpdates.findByDeviceIdAndUpdateId(device.id(), update.id()).orElseThrow(() ->
                ApiException.notFound("update " + update.version() + " is not scheduled for device "
                        + device.deviceUuid()));
    }

    private static DeviceStatusChange deviceStatusAfter(UpdateStatus status, Update update) {
        return switch (status) {
            case DOWNLOADING, INSTALLING -> new DeviceStatusChange(DeviceStatus.UPDATING, null);
            case COMPLETED -> new DeviceStatusChange(DeviceStatus.ONLINE, update.version());
            default -> new DeviceStatusChange(DeviceStatus.ONLINE, null);
        };
    }

    private static String reporter(StatusReport report, Caller caller) {
        if (report.deviceUuid() == null || report.deviceUuid().isBlank()) {
            if (caller.isAdmin()) {
                throw ApiException.badRequest("device_uuid is required: which device is this report about?");
            }
            return caller.deviceUuid();
        }
        String deviceUuid = DeviceFields.deviceUuid(report.deviceUuid());
        caller.requireDeviceOrAdmin(deviceUuid);
        return deviceUuid;
    }

    /** A device token may download only the updates scheduled for its device. */
    @Transactional(readOnly = true)
    Update downloadable(UUID updateId, Caller caller) {
        Update update = updates.findById(updateId)
                .orElseThrow(() -> ApiException.notFound("no update " + updateId + " exists"));
        if (!caller.isAdmin() && !deviceUpdates.existsByDeviceIdAndUpdateId(caller.deviceId(), updateId)) {
            throw ApiException.forbidden("update " + update.version() + " is not scheduled for device "
                    + caller.deviceUuid() + ", so its token cannot download it");
        }
        return update;
    }
}
