package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;
import java.util.UUID;

/** The update a device is offered by a check: everything it needs to download and verify the package. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateOffer(
        UUID id,
        String version,
        UpdateType updateType,
        String description,
        String packageUrl,
        String sha256,
        long sizeBytes,
        boolean requiresSystemPackages,
        List<String> systemPackages) {
}
