package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * The devices whose install of one update failed with the same message.
 *
 * @param errorMessage what the devices reported
 * @param devices      how many devices reported it
 * @param deviceUuids  the most recent of them, at most {@link #SAMPLE}
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record FailureGroup(String errorMessage, long devices, List<String> deviceUuids) {

    /** How many device uuids a group names. */
    public static final int SAMPLE = 10;
}
