package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.Map;

/**
 * Body of {@code POST /api/v1/devices/register}: who the device is and where it lives, and the proof that it is that
 * device. The last three fields were added with device keys; a server before them ignores them, and a body without
 * them registers as before (with the enrollment key) as long as the uuid is not bound to a key.
 *
 * @param publicKey the device's own Ed25519 public key ({@code ed25519:BASE64}): bound to the uuid at the first
 *                  registration that gives one
 * @param challenge a challenge from {@code POST /api/v1/devices/challenge}, for a uuid already bound to a key
 * @param signature the device key's signature over it ({@link dev.javia.ota.protocol.trust.DeviceProof}), Base64
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RegisterDevice(
        String deviceUuid,
        String deviceName,
        String timezone,
        String currentVersion,
        Map<String, Object> metadata,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String publicKey,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String challenge,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String signature) {

    /** A registration without a device key, as agents before device keys send it. */
    public RegisterDevice(String deviceUuid, String deviceName, String timezone, String currentVersion,
                          Map<String, Object> metadata) {
        this(deviceUuid, deviceName, timezone, currentVersion, metadata, null, null, null);
    }
}
