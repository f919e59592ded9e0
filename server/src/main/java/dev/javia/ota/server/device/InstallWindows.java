package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.UpdateWindow;
import dev.javia.ota.server.OtaProperties;
import org.springframework.stereotype.Component;

/**
 * Which nightly install window is in force for a device: the operator's for that device, else the device's own
 * hour ({@code DEVICE_UPDATE_HOUR}) with the fleet's length, else the fleet's ({@code OTA_SCHEDULED_HOUR},
 * {@code OTA_INSTALL_WINDOW}). The operator outranks the device: the device's setting is a preference made on the
 * Pi, the operator's is a decision made for the fleet.
 */
@Component
public class InstallWindows {

    private final UpdateWindow fleet;

    InstallWindows(OtaProperties properties) {
        this.fleet = new UpdateWindow(properties.scheduledHour(), (int) properties.installWindow().toMinutes(),
                UpdateWindow.FLEET);
    }

    public UpdateWindow fleet() {
        return fleet;
    }

    /** The fleet's start hour, for SQL that works out the window in force the way {@link #inForce} does. */
    public int fleetHour() {
        return fleet.startHour();
    }

    public UpdateWindow inForce(Integer operatorHour, Integer operatorMinutes, Integer deviceHour) {
        if (operatorHour != null && operatorMinutes != null) {
            return new UpdateWindow(operatorHour, operatorMinutes, UpdateWindow.OPERATOR);
        }
        if (deviceHour != null) {
            return new UpdateWindow(deviceHour, fleet.lengthMinutes(), UpdateWindow.DEVICE);
        }
        return fleet;
    }

    UpdateWindow inForce(Device device) {
        return inForce(device.windowStartHour(), device.windowLengthMinutes(), device.deviceUpdateHour());
    }
}
