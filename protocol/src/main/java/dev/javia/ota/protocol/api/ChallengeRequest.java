package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** Body of {@code POST /api/v1/devices/challenge}: the uuid of the device that is to prove itself. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChallengeRequest(String deviceUuid) {
}
