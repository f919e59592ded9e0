package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.CurrentUpdate;
import dev.javia.ota.protocol.api.UpdateWindow;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The current update of devices, for their records: the update package knows it, the device package shows it (so
 * that the dependency keeps pointing from updates to devices).
 */
public interface CurrentUpdates {

    /** Each device's current update by device id; a device without one is left out. */
    Map<UUID, CurrentUpdate> of(List<Subject> devices);

    /** What the current update of a device is worked out from: which device, where it lives, its window. */
    record Subject(UUID deviceId, String deviceUuid, String timezone, UpdateWindow window, String step,
            Integer progressPercent, boolean updating) {
    }
}
