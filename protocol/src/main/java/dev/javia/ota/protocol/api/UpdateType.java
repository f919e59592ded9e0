package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** When a device installs an update: at the nightly window, or as soon as it is idle. */
public enum UpdateType {
    SCHEDULED, URGENT;

    @JsonCreator
    public static UpdateType parse(String value) {
        return WireEnum.parse(UpdateType.class, "update_type", value);
    }

    @JsonValue
    public String wire() {
        return WireEnum.wire(this);
    }

    public static String allowed() {
        return WireEnum.allowed(UpdateType.class);
    }
}
