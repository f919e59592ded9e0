package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;


/** Answer to a registration: the device and a fresh token that opens only its own endpoints. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeviceRegistration(
        DeviceView device,
        String deviceToken) {
}
