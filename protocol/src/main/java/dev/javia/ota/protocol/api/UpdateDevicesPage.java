package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;
import java.util.UUID;

/**
 * One page of {@code GET /api/v1/updates/{id}/devices}: the update's devices (those in one status, when asked), most
 * recently changed first, and which messages its failures carry, the most frequent first.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateDevicesPage(
        UUID updateId,
        String version,
        @Nullable UpdateStatus status,
        List<DeviceUpdateView> devices,
        List<FailureGroup> failures,
        int page,
        int size,
        long totalElements,
        int totalPages) {
}
