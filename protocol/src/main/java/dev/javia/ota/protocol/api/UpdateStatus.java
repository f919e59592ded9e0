package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Where one device stands with one update. {@code SUPERSEDED} is set by the server alone, when a newer update
 * replaces one that had not started.
 */
public enum UpdateStatus {
    PENDING, DOWNLOADING, INSTALLING, COMPLETED, FAILED, SUPERSEDED;

    @JsonCreator
    public static UpdateStatus parse(String value) {
        return WireEnum.parse(UpdateStatus.class, "status", value);
    }

    @JsonValue
    public String wire() {
        return WireEnum.wire(this);
    }

    public static String allowed() {
        return WireEnum.allowed(UpdateStatus.class);
    }
}
