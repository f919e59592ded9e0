package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.CurrentUpdate;
import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.DeviceView;
import dev.javia.ota.protocol.api.MessageOrder;
import dev.javia.ota.protocol.api.UpdateWindow;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.server.persistence.MapJsonConverter;
import dev.javia.ota.server.security.Secrets;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.ColumnTransformer;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** A registered Raspberry Pi, as the seed's {@code devices} table holds it. */
@Entity
@Table(name = "devices")
public class Device {

    @Id
    private UUID id;
    private String deviceUuid;
    private String deviceName;
    private Instant registeredAt;
    private Instant lastSeen;
    private String currentVersion;
    private String timezone;
    @Convert(converter = DeviceStatusConverter.class)
    private DeviceStatus status;
    @Convert(converter = MapJsonConverter.class)
    @ColumnTransformer(write = "?::jsonb")
    @Column(columnDefinition = "jsonb")
    private Map<String, Object> metadata = new LinkedHashMap<>();
    private String tokenHash;
    private Instant tokenIssuedAt;
    private String orderRunId;
    private Long orderSeq;
    private Instant reportedAt;
    private Integer windowStartHour;
    private Integer windowLengthMinutes;
    private Integer deviceUpdateHour;
    private String updateStep;
    private Integer updateProgress;
    private String publicKey;
    /**
     * The agent's version and the newest package format it reads, as its heartbeats say them; read only here: the
     * heartbeat's own statement writes them (Heartbeats), so that no save of this entity can put back an older one.
     */
    @Column(insertable = false, updatable = false)
    private String agentVersion;
    @Column(insertable = false, updatable = false)
    private Integer packageFormat;

    protected Device() {
    }

    Device(UUID id, String deviceUuid, String timezone, Instant now) {
        this.id = id;
        this.deviceUuid = deviceUuid;
        this.timezone = timezone;
        this.registeredAt = now;
        this.lastSeen = now;
        this.status = DeviceStatus.ONLINE;
    }

    /** Takes what the device says about itself; absent fields keep what was known. */
    void describe(String deviceName, String timezone, String currentVersion, Map<String, Object> metadata) {
        if (deviceName != null) {
            this.deviceName = deviceName;
        }
        if (timezone != null) {
            this.timezone = timezone;
        }
        if (currentVersion != null) {
            this.currentVersion = currentVersion;
        }
        if (metadata != null) {
            this.metadata = new LinkedHashMap<>(metadata);
        }
    }

    /** Whether a token was issued and is still held (an operator may have cleared it by hand). */
    boolean holdsToken() {
        return tokenHash != null;
    }

    /** Hands out a new token; the previous one stops working. Only the hash is kept. */
    String issueToken(Instant now) {
        String token = Secrets.newDeviceToken();
        this.tokenHash = Secrets.hash(token);
        this.tokenIssuedAt = now;
        return token;
    }

    /** The device's own public key ({@code ed25519:BASE64}), or null while none is bound. */
    String publicKey() {
        return publicKey;
    }

    /** Binds the device's key to its uuid: from now on registering it again needs that key's proof. */
    void bindKey(String publicKey) {
        this.publicKey = publicKey;
    }

    /**
     * The operator's reset of a device whose key is lost: the key is unbound and the token revoked, so that the
     * next registration (with the enrollment key) binds a new key, and nothing holding the old token goes on.
     */
    void resetKey() {
        this.publicKey = null;
        this.tokenHash = null;
        this.tokenIssuedAt = null;
    }

    /** The bound key's id (as the audit log and the API show it), or null. */
    String keyId() {
        return publicKey == null ? null : Ed25519Keys.keyId(Ed25519Keys.publicKey(publicKey));
    }

    void seen(Instant now, DeviceStatus reported) {
        this.lastSeen = now;
        this.status = reported == DeviceStatus.UPDATING ? DeviceStatus.UPDATING : DeviceStatus.ONLINE;
    }

    void changeStatus(DeviceStatus status) {
        this.status = status;
    }

    /**
     * Whether a status report made at {@code order} is older than a message this record already holds: only a
     * heartbeat of the same agent run with a higher seq can be. A report without order is never older (it was
     * received now, after everything written).
     */
    boolean holdsNewerThan(MessageOrder order) {
        return order != null && order.runId().equals(orderRunId) && orderSeq != null && order.seq() < orderSeq;
    }

    /** A status report was applied: it outranks every heartbeat made (or, without seq, received) before it. */
    void reported(MessageOrder order, Instant receivedAt) {
        this.reportedAt = receivedAt;
        if (order != null && !holdsNewerThan(order)) {
            this.orderRunId = order.runId();
            this.orderSeq = order.seq();
        }
    }

    /** The record as the API shows it, with the window in force and the current update (see {@link DeviceViews}). */
    DeviceView view(UpdateWindow window, CurrentUpdate currentUpdate) {
        return new DeviceView(id, deviceUuid, deviceName, registeredAt, lastSeen, currentVersion, timezone, status,
                metadata, window, currentUpdate, keyId(), agentVersion);
    }

    /** The operator's name for the device; it outlasts the name the device registers with until it sends another. */
    void rename(String deviceName) {
        this.deviceName = deviceName;
    }

    /** The operator's window for this device, or none ({@code null}): the device's own or the fleet's is in force. */
    void setWindow(UpdateWindow window) {
        this.windowStartHour = window == null ? null : window.startHour();
        this.windowLengthMinutes = window == null ? null : window.lengthMinutes();
    }

    Integer windowStartHour() {
        return windowStartHour;
    }

    Integer windowLengthMinutes() {
        return windowLengthMinutes;
    }

    Integer deviceUpdateHour() {
        return deviceUpdateHour;
    }

    String updateStep() {
        return updateStep;
    }

    Integer updateProgress() {
        return updateProgress;
    }

    DeviceStatus status() {
        return status;
    }

    public UUID id() {
        return id;
    }

    public String deviceUuid() {
        return deviceUuid;
    }

    public String deviceName() {
        return deviceName;
    }

    public String currentVersion() {
        return currentVersion;
    }

    public String timezone() {
        return timezone;
    }
}
