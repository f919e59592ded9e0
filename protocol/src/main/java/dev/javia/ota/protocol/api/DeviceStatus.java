package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a device is doing, as the server last heard it. */
public enum DeviceStatus {
    ONLINE, OFFLINE, UPDATING;

    @JsonCreator
    public static DeviceStatus parse(String value) {
        return WireEnum.parse(DeviceStatus.class, "status", value);
    }

    @JsonValue
    public String wire() {
        return WireEnum.wire(this);
    }

    public static String allowed() {
        return WireEnum.allowed(DeviceStatus.class);
    }
}
