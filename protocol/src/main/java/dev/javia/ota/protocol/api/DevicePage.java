package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** One page of {@code GET /api/v1/devices/}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DevicePage(
        List<DeviceView> devices,
        int page,
        int size,
        long totalElements,
        int totalPages) {
}
