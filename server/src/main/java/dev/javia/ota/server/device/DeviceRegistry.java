package dev.javia.ota.server.device;

import com.github.f4b6a3.uuid.UuidCreator;
import dev.javia.ota.protocol.api.DeviceChange;
import dev.javia.ota.protocol.api.DeviceRegistration;
import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.DeviceStatusChange;
import dev.javia.ota.protocol.api.MessageOrder;
import dev.javia.ota.protocol.api.RegisterDevice;
import dev.javia.ota.protocol.api.UpdateWindow;
import dev.javia.ota.server.audit.AuditLog;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.security.DeviceTokens;
import dev.javia.ota.server.web.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.JsonNode;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** Registration and status changes of devices (heartbeats go through {@link Heartbeats}). */
@Service
@Transactional
public class DeviceRegistry {

    private static final Logger log = LoggerFactory.getLogger(DeviceRegistry.class);

    private final DeviceRepository devices;
    private final ApplicationEventPublisher events;
    private final Clock clock;
    private final DeviceTokens deviceTokens;
    private final KnownVersions knownVersions;
    private final DeviceViews views;
    private final InstallWindows windows;
    private final AuditLog audit;

    DeviceRegistry(DeviceRepository devices, DeviceTokens deviceTokens, KnownVersions knownVersions,
            DeviceViews views, InstallWindows windows, ApplicationEventPublisher events, Clock clock, AuditLog audit) {
        this.audit = audit;
        this.devices = devices;
        this.views = views;
        this.windows = windows;
        this.deviceTokens = deviceTokens;
        this.knownVersions = knownVersions;
        this.events = events;
        this.clock = clock;
    }

    /** Registers a device, or answers a known one with a fresh token: that is how a lost token is recovered. */
    public Registered register(Caller caller, RegisterDevice request) {
        if (request == null) {
            throw ApiException.badRequest("the request needs a JSON body with device_uuid and timezone");
        }
        String uuid = DeviceFields.deviceUuid(request.deviceUuid());
        String timezone = DeviceFields.timezone(request.timezone());
        String name = DeviceFields.deviceName(request.deviceName());
        String version = DeviceFields.currentVersion(request.currentVersion());
        var metadata = DeviceFields.metadata(request.metadata());
        Instant now = clock.instant();
        Device device = devices.findByDeviceUuid(uuid).orElse(null);
        boolean created = device == null;
        if (created) {
            device = new Device(UuidCreator.getTimeOrderedEpoch(), uuid, timezone, now);
        }
        String previousVersion = device.currentVersion();
        boolean replaced = device.holdsToken();
        device.describe(name, timezone, version, metadata);
        device.seen(now, DeviceStatus.ONLINE);
        String token = device.issueToken(now);
        devices.saveAndFlush(device);
        audit.record(caller, "device.token_issued", "device", uuid,
                Map.of("registered", created, "replaced_token", replaced));
        deviceTokens.forgetDevice(device.id());
        knownVersions.forget(device.id());
        log.info("device {} device_uuid={} timezone={} version={}", created ? "registered" : "re-registered", uuid,
                timezone, device.currentVersion());
        if (created || !Objects.equals(previousVersion, device.currentVersion())) {
            events.publishEvent(reported(device));
        }
        return new Registered(new DeviceRegistration(views.of(device), token), created);
    }

    /**
     * The operator's change of a device (a JSON merge patch): its name, its window. Answers the device as changed.
     * A changed window moves the device's scheduled updates that have not started ({@link DeviceWindowChanged}).
     */
    public Device change(Caller caller, String deviceUuid, JsonNode patch, DeviceChange change) {
        if (patch == null || !patch.isObject()) {
            throw ApiException.badRequest("the request needs a JSON object with device_name or update_window, e.g."
                    + " {\"update_window\": {\"start_hour\": 3}}");
        }
        Device device = lock(deviceUuid);
        Map<String, Object> changed = new LinkedHashMap<>();
        if (patch.has("device_name")) {
            String name = DeviceFields.deviceName(change.deviceName());
            if (!Objects.equals(name, device.deviceName())) {
                changed.put("device_name", AuditLog.oldAndNew(device.deviceName(), name));
            }
            device.rename(name);
            log.info("device renamed device_uuid={} name={}", device.deviceUuid(), name);
        }
        if (patch.has("update_window")) {
            UpdateWindow before = windows.inForce(device);
            Map<String, Object> operatorsBefore = operatorsWindow(device);
            device.setWindow(change.updateWindow() == null ? null
                    : DeviceFields.window(change.updateWindow(), windows.fleet().lengthMinutes()));
            if (!Objects.equals(operatorsBefore, operatorsWindow(device))) {
                changed.put("update_window", AuditLog.oldAndNew(operatorsBefore, operatorsWindow(device)));
            }
            UpdateWindow after = windows.inForce(device);
            log.info("device window set device_uuid={} start_hour={} length_minutes={} source={}",
                    device.deviceUuid(), after.startHour(), after.lengthMinutes(), after.source());
            if (DeviceWindowChanged.moves(before, after)) {
                events.publishEvent(new DeviceWindowChanged(device.id(), device.deviceUuid(), device.timezone(),
                        before, after));
            }
        }
        // a patch that sets what was already set changed nothing, and records nothing
        if (!changed.isEmpty()) {
            audit.record(caller, "device.changed", "device", device.deviceUuid(), changed);
        }
        return device;
    }

    /** The operator's own window of the device (not the one in force), as the audit log shows it; null for none. */
    private static Map<String, Object> operatorsWindow(Device device) {
        return device.windowStartHour() == null ? null
                : Map.of("start_hour", device.windowStartHour(), "length_minutes", device.windowLengthMinutes());
    }

    public Device changeStatus(String deviceUuid, DeviceStatusChange change) {
        if (change == null || change.status() == null) {
            throw ApiException.badRequest("status is required: one of " + DeviceStatus.allowed());
        }
        String version = DeviceFields.currentVersion(change.currentVersion());
        Device device = find(deviceUuid);
        String previousVersion = device.currentVersion();
        device.describe(null, null, version, null);
        device.changeStatus(change.status());
        log.info("device status changed device_uuid={} status={}", device.deviceUuid(), change.status().wire());
        if (!Objects.equals(previousVersion, device.currentVersion())) {
            knownVersions.forget(device.id());
            events.publishEvent(reported(device));
        }
        return device;
    }

    /**
     * A status report's effect on the device, under the row lock every writer of the device takes first (see
     * {@link #lock}): the status and version of {@code change}, unless the record already holds a message the
     * device made after the report (a heartbeat with a higher seq of the same run); then only the report's time is
     * kept. Answers whether the device took the change.
     */
    public boolean reported(Device device, DeviceStatusChange change, MessageOrder order) {
        if (device.holdsNewerThan(order)) {
            log.info("device status kept: the record holds a newer message than the report device_uuid={} seq={}",
                    device.deviceUuid(), order.seq());
            device.reported(order, clock.instant());
            return false;
        }
        device.reported(order, clock.instant());
        changeStatus(device.deviceUuid(), change);
        return true;
    }

    /**
     * The device, its row locked until the transaction ends: a status report takes it before it changes the
     * device's update, so that it and the heartbeat flush (which locks devices, then may change their updates)
     * take their locks in one order, and so that a flush waiting for it sees the report when it writes.
     */
    public Device lock(String deviceUuid) {
        String uuid = DeviceFields.deviceUuid(deviceUuid);
        return devices.lockByDeviceUuid(uuid).orElseThrow(() -> ApiException.notFound("no device " + uuid
                + " is registered: it registers itself at POST /api/v1/devices/register"));
    }

    @Transactional(readOnly = true)
    public Device find(String deviceUuid) {
        String uuid = DeviceFields.deviceUuid(deviceUuid);
        return devices.findByDeviceUuid(uuid).orElseThrow(() -> ApiException.notFound("no device " + uuid
                + " is registered: it registers itself at POST /api/v1/devices/register"));
    }

    private static DeviceReported reported(Device device) {
        return new DeviceReported(device.id(), device.deviceUuid(), device.timezone(), device.currentVersion());
    }

    /** A registration's answer, and whether it created the device (201) or renewed its token. */
    public record Registered(DeviceRegistration registration, boolean created) {
    }
}
