package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A device as the server knows it. {@code update_window} is the nightly window in force for it and where that
 * comes from; {@code current_update} its open update or the last one that ended (null before its first);
 * {@code key_id} the id of the Ed25519 key bound to the device's uuid (null while none is bound: the device has not
 * registered with a key since keys came, or an operator reset it); {@code agent_version} the version of the OTA agent
 * the device last said it runs (null: an agent before it said so, issue 16), shown beside the app's
 * {@code current_version}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeviceView(
        UUID id,
        String deviceUuid,
        @Nullable String deviceName,
        Instant registeredAt,
        @Nullable Instant lastSeen,
        @Nullable String currentVersion,
        String timezone,
        DeviceStatus status,
        Map<String, Object> metadata,
        UpdateWindow updateWindow,
        @Nullable CurrentUpdate currentUpdate,
        @Nullable String keyId,
        @Nullable String agentVersion) {

    /** A device as views before the agent's version was shown (issue 16): agent unknown. */
    public DeviceView(UUID id, String deviceUuid, String deviceName, Instant registeredAt, Instant lastSeen,
                      String currentVersion, String timezone, DeviceStatus status, Map<String, Object> metadata,
                      UpdateWindow updateWindow, CurrentUpdate currentUpdate, String keyId) {
        this(id, deviceUuid, deviceName, registeredAt, lastSeen, currentVersion, timezone, status, metadata,
                updateWindow, currentUpdate, keyId, null);
    }

    /** A device without a bound key, as views before device keys were made. */
    public DeviceView(UUID id, String deviceUuid, String deviceName, Instant registeredAt, Instant lastSeen,
                      String currentVersion, String timezone, DeviceStatus status, Map<String, Object> metadata,
                      UpdateWindow updateWindow, CurrentUpdate currentUpdate) {
        this(id, deviceUuid, deviceName, registeredAt, lastSeen, currentVersion, timezone, status, metadata,
                updateWindow, currentUpdate, null, null);
    }
}
