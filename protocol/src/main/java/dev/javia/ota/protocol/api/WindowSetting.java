package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The operator's install window for one device, in {@link DeviceChange}: it opens at {@code start_hour}:00 in the
 * device's timezone and lasts {@code length_minutes} (60 to 720), or the fleet's length when left out.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WindowSetting(Integer startHour, @Nullable Integer lengthMinutes) {
}
