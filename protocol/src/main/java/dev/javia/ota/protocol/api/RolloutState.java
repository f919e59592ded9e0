package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Where a rollout stands. {@code AWAITING_APPROVAL}: nothing starts until a second admin approves; {@code SCHEDULED}:
 * approved (or needing no approval), waiting for its start time; {@code RUNNING}: its open phase is offered and judged;
 * {@code PAUSED}: nothing new starts, devices already installing finish; {@code CANCELLED} and {@code FINISHED} are
 * final. A finished rollout still reaches the devices of its target that join later.
 */
public enum RolloutState {
    AWAITING_APPROVAL, SCHEDULED, RUNNING, PAUSED, CANCELLED, FINISHED;

    @JsonCreator
    public static RolloutState parse(String value) {
        return WireEnum.parse(RolloutState.class, "state", value);
    }

    @JsonValue
    public String wire() {
        return WireEnum.wire(this);
    }

    public static String allowed() {
        return WireEnum.allowed(RolloutState.class);
    }

    public boolean isFinal() {
        return this == CANCELLED || this == FINISHED;
    }
}
