package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.server.persistence.WireEnumConverter;
import jakarta.persistence.Converter;

@Converter
class DeviceStatusConverter extends WireEnumConverter<DeviceStatus> {

    DeviceStatusConverter() {
        super(DeviceStatus.class);
    }
}
