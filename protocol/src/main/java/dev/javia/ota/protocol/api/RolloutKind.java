package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** A {@code RELEASE} takes devices up to a new version; a {@code ROLLBACK} takes the devices of a bad one back down. */
public enum RolloutKind {
    RELEASE, ROLLBACK;

    @JsonCreator
    public static RolloutKind parse(String value) {
        return WireEnum.parse(RolloutKind.class, "kind", value);
    }

    @JsonValue
    public String wire() {
        return WireEnum.wire(this);
    }
}
