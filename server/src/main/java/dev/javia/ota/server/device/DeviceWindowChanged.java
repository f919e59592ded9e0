package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.UpdateWindow;

import java.util.UUID;

/**
 * Published, inside the transaction, when the window in force for a device changes (the operator set or removed
 * one, or the device said a new {@code DEVICE_UPDATE_HOUR}): the scheduler moves the device's scheduled updates
 * that have not started to the new window.
 */
public record DeviceWindowChanged(UUID deviceId, String deviceUuid, String timezone, UpdateWindow before,
        UpdateWindow after) {

    /** Whether the window in force moved: its hours, not where it comes from (a device's hour equal to the fleet's). */
    static boolean moves(UpdateWindow before, UpdateWindow after) {
        return before.startHour() != after.startHour() || before.lengthMinutes() != after.lengthMinutes();
    }
}
