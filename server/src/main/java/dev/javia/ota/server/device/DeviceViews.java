package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.CurrentUpdate;
import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.DeviceView;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Devices as the API shows them: the record, the window in force, the current update (one query per page). */
@Component
public class DeviceViews {

    private final InstallWindows windows;
    private final CurrentUpdates currentUpdates;

    DeviceViews(InstallWindows windows, CurrentUpdates currentUpdates) {
        this.windows = windows;
        this.currentUpdates = currentUpdates;
    }

    public DeviceView of(Device device) {
        return of(List.of(device)).get(0);
    }

    public List<DeviceView> of(List<Device> devices) {
        List<CurrentUpdates.Subject> subjects = devices.stream()
                .map(device -> new CurrentUpdates.Subject(device.id(), device.deviceUuid(), device.timezone(),
                        windows.inForce(device), device.updateStep(), device.updateProgress(),
                        device.status() == DeviceStatus.UPDATING))
                .toList();
        Map<UUID, CurrentUpdate> current = devices.isEmpty() ? Map.of() : currentUpdates.of(subjects);
        return devices.stream().map(device -> device.view(windows.inForce(device), current.get(device.id())))
                .toList();
    }
}
