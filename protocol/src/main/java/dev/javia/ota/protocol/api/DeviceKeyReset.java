package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The optional body of {@code POST /api/v1/devices/{uuid}/reset-key}: why the operator cleared the device's key (it
 * was lost with the SD card, the device was re-imaged), kept in the audit log.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeviceKeyReset(@Nullable String reason) {

    public static final DeviceKeyReset NONE = new DeviceKeyReset(null);
}
