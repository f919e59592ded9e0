package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The device's own settings that the server takes into account, as a {@link Heartbeat} carries them. Present means
 * "these are all of them": a field left out is a setting the device does not have (so {@code {}} clears what an
 * earlier start said), unlike a heartbeat without {@code settings}, which says nothing about them.
 *
 * @param updateHour {@code DEVICE_UPDATE_HOUR}: the local hour (0..23) at which this device's nightly install window
 *                   opens, unless an operator set the device's window
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentSettings(@Nullable Integer updateHour) {
}
