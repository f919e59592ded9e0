package dev.javia.ota.server.device;

import java.util.UUID;

/**
 * Published, inside the transaction, when a device registers or reports a version it did not have before: the
 * update scheduler gives it the newest update that applies.
 */
public record DeviceReported(UUID deviceId, String deviceUuid, String timezone, String currentVersion) {
}
