package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Where one event stands with one webhook: {@code PENDING} until the receiver answers 2xx ({@code DELIVERED}) or
 * the server gives up a day after the event ({@code FAILED}).
 */
public enum DeliveryStatus {
    PENDING, DELIVERED, FAILED;

    @JsonCreator
    public static DeliveryStatus parse(String value) {
        return WireEnum.parse(DeliveryStatus.class, "status", value);
    }

    @JsonValue
    public String wire() {
        return WireEnum.wire(this);
    }
}
