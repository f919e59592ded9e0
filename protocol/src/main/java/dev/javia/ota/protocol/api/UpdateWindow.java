package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The nightly install window for scheduled updates, in the device's own timezone: it opens at {@code start_hour}:00
 * and lasts {@code length_minutes}. In a device's record {@code source} says where the window in force comes from:
 * {@code operator} (set with {@code PATCH /api/v1/devices/{uuid}}), {@code device} (the agent's
 * {@code DEVICE_UPDATE_HOUR}, with the fleet's length) or {@code fleet} (the server's {@code OTA_SCHEDULED_HOUR}
 * and {@code OTA_INSTALL_WINDOW}).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateWindow(
        int startHour,
        int lengthMinutes,
        String source) {

    public static final String OPERATOR = "operator";
    public static final String DEVICE = "device";
    public static final String FLEET = "fleet";
}
