package dev.javia.ota.server.device;

import com.github.f4b6a3.uuid.UuidCreator;
import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.DeviceChange;
import dev.javia.ota.protocol.api.DeviceKeyReset;
import dev.javia.ota.protocol.api.DeviceRegistration;
import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.DeviceStatusChange;
import dev.javia.ota.protocol.api.MessageOrder;
import dev.javia.ota.protocol.api.RegisterDevice;
import dev.javia.ota.protocol.api.UpdateWindow;
import dev.javia.ota.protocol.trust.DeviceProof;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.server.audit.AuditLog;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.security.DeviceTokens;
import dev.javia.ota.server.web.ApiException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
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
    private static final int MAX_REASON = 500;

    private final DeviceRepository devices;
    private final ApplicationEventPublisher events;
    private final Clock clock;
    private final DeviceTokens deviceTokens;
    private final KnownVersions knownVersions;
    private final DeviceViews views;
    private final InstallWindows windows;
    private final AuditLog audit;
    private final DeviceChallenges challenges;

    DeviceRegistry(DeviceRepository devices, DeviceTokens deviceTokens, KnownVersions knownVersions,
            DeviceViews views, InstallWindows windows, ApplicationEventPublisher events, Clock clock, AuditLog audit,
            DeviceChallenges challenges) {
        this.audit = audit;
        this.challenges = challenges;
        this.devices = devices;
        this.views = views;
        this.windows = windows;
        this.deviceTokens = deviceTokens;
        this.knownVersions = knownVersions;
        this.events = events;
        this.clock = clock;
    }

    /**
     * Registers a device, or answers a known one with a fresh token: that is how a lost token is recovered.
     *
     * <p>Who may: a uuid not yet known, or known without a key, registers with the enrollment key (or an admin key),
     * and binds the {@code public_key} it gives. A uuid bound to a key registers only with that key's proof: a
     * signature over the device's outstanding challenge, which this registration takes (so that it is never
     * accepted twice); the enrollment key is then not needed, and not enough without the proof, so that the fleet's
     * enrollment key and a uuid read from a log do not take a device over. {@code caller} is null for a request
     * without a key, which only a proof lets through.
     */
    public Registered register(@Nullable Caller caller, RegisterDevice request) {
        if (request == null) {
            throw ApiException.badRequest("the request needs a JSON body with device_uuid and timezone");
        }
        String uuid = DeviceFields.deviceUuid(request.deviceUuid());
        String timezone = DeviceFields.timezone(request.timezone());
        String name = DeviceFields.deviceName(request.deviceName());
        String version = DeviceFields.currentVersion(request.currentVersion());
        var metadata = DeviceFields.metadata(request.metadata());
        String publicKey = DeviceFields.publicKey(request.publicKey());
        Instant now = clock.instant();
        // locked: two registrations of one uuid (a replay beside the original) take their turns
        Device device = devices.lockByDeviceUuid(uuid).orElse(null);
        boolean proved = device != null && device.publicKey() != null;
        if (proved) {
            if (publicKey != null && !publicKey.equals(device.publicKey())) {
                throw ApiException.conflict("device " + uuid + " is bound to another key (key id " + device.keyId()
                        + "): a device that lost its key cannot bind a new one by itself; reset the device's key first"
                        + " (POST " + ApiPaths.resetDeviceKey(uuid) + " with an admin key, or create_update.sh device"
                        + " reset-key " + uuid + "), then it registers with the enrollment key and its new key");
            }
            prove(device, request, now);
            if (caller == null) {
                caller = Caller.device(device.id(), uuid);
            }
        } else if (caller == null) {
            throw unauthorized(device == null
                    ? "device " + uuid + " is not registered: its first registration needs the enrollment key in the "
                            + ApiPaths.API_KEY_HEADER + " header"
                    : "device " + uuid + " has no key bound yet: it registers with the enrollment key in the "
                            + ApiPaths.API_KEY_HEADER + " header (and its public_key, which binds it)");
        }
        boolean created = device == null;
        if (created) {
            device = new Device(UuidCreator.getTimeOrderedEpoch(), uuid, timezone, now);
        }
        boolean bound = publicKey != null && device.publicKey() == null;
        if (bound) {
            device.bindKey(publicKey);
        }
        String previousVersion = device.currentVersion();
        boolean replaced = device.holdsToken();
        device.describe(name, timezone, version, metadata);
        device.seen(now, DeviceStatus.ONLINE);
        String token = device.issueToken(now);
        devices.saveAndFlush(device);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("registered", created);
        details.put("replaced_token", replaced);
        details.put("key_bound", bound);
        details.put("proved", proved);
        if (device.publicKey() != null) {
            details.put("key_id", device.keyId());
        }
        audit.record(caller, "device.token_issued", "device", uuid, details);
        if (replaced) {
            // every instance stops taking the old token when this commits
            deviceTokens.revoked(device.id());
        } else {
            deviceTokens.forgetDevice(device.id());
        }
        knownVersions.forget(device.deviceUuid());
        log.info("device {} device_uuid={} timezone={} version={} key_bound={} proved={}",
                created ? "registered" : "re-registered", uuid, timezone, device.currentVersion(), bound, proved);
        if (created || !Objects.equals(previousVersion, device.currentVersion())) {
            events.publishEvent(reported(device));
        }
        return new Registered(new DeviceRegistration(views.of(device), token), created);
    }

    /**
     * Checks the proof of a device bound to a key, taking its outstanding challenge. A refusal rolls the
     * registration back, the taking too: a failed attempt does not spend the device's challenge; a successful one
     * does, so that the same challenge and signature never register twice.
     */
    private void prove(Device device, RegisterDevice request, Instant now) {
        String uuid = device.deviceUuid();
        String how = "ask POST " + ApiPaths.CHALLENGE + " {\"device_uuid\": \"" + uuid + "\"} (no key needed), sign"
                + " the challenge with the device's key and register with challenge and signature";
        if (request.challenge() == null || request.signature() == null) {
            throw ApiException.forbidden("device " + uuid + " is bound to a key (key id " + device.keyId() + "):"
                    + " registering it again needs that key's proof, not the enrollment key; " + how + ". A device"
                    + " that lost its key is reset by an operator (POST " + ApiPaths.resetDeviceKey(uuid) + ")");
        }
        DeviceChallenges.Outstanding outstanding = challenges.take(device.id()).orElse(null);
        if (outstanding == null || !MessageDigest.isEqual(outstanding.challenge().getBytes(StandardCharsets.UTF_8),
                request.challenge().getBytes(StandardCharsets.UTF_8))) {
            throw ApiException.forbidden("the challenge is not device " + uuid + "'s outstanding one: it was used"
                    + " already, replaced by a newer one, or never issued; " + how);
        }
        if (!now.isBefore(outstanding.expiresAt())) {
            throw ApiException.forbidden("the challenge expired at " + outstanding.expiresAt() + " (a challenge lives "
                    + DeviceChallenges.LIFETIME.toMinutes() + " minutes); " + how);
        }
        if (!DeviceProof.verify(Ed25519Keys.publicKey(device.publicKey()), uuid, request.challenge(),
                request.signature())) {
            throw ApiException.forbidden("the signature is not one by device " + uuid + "'s key (key id "
                    + device.keyId() + ") over its uuid and this challenge; " + how);
        }
    }

    /**
     * The operator's reset of a device whose key is lost: unbinds the key, revokes the token on every instance, and
     * drops an outstanding challenge. The device's next registration, with the enrollment key, binds its new key.
     */
    public Device resetKey(Caller caller, String deviceUuid, DeviceKeyReset reset) {
        String reason = reset == null ? null : reset.reason();
        if (reason != null && (reason.length() > MAX_REASON || reason.chars().anyMatch(Character::isISOControl))) {
            throw ApiException.badRequest("reason must be one line of at most " + MAX_REASON + " characters");
        }
        Device device = lock(deviceUuid);
        String keyId = device.keyId();
        boolean heldToken = device.holdsToken();
        device.resetKey();
        devices.saveAndFlush(device);
        challenges.drop(device.id());
        deviceTokens.revoked(device.id());
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("key_id", keyId);
        details.put("revoked_token", heldToken);
        if (reason != null && !reason.isBlank()) {
            details.put("reason", reason.trim());
        }
        audit.record(caller, "device.key_reset", "device", device.deviceUuid(), details);
        log.info("device key reset device_uuid={} key_id={} revoked_token={}", device.deviceUuid(), keyId, heldToken);
        return device;
    }

    private static ApiException unauthorized(String detail) {
        ApiException refusal = new ApiException(HttpStatus.UNAUTHORIZED, detail);
        refusal.getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "ApiKey header=\"" + ApiPaths.API_KEY_HEADER + "\"");
        return refusal;
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
            knownVersions.forget(device.deviceUuid());
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
