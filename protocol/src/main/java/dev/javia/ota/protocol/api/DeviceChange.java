package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * Body of {@code PATCH /api/v1/devices/{uuid}}, a JSON merge patch (RFC 7396): a field left out stays as it is;
 * {@code "update_window": null} removes the operator's window, so that the device's own or the fleet's is in force
 * again.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeviceChange(
        @Nullable String deviceName,
        @Nullable WindowSetting updateWindow) {
}
