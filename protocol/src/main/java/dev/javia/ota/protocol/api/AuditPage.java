package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** One page of {@code GET /api/v1/audit}, newest first, shaped as {@link UpdatePage}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AuditPage(
        List<AuditEntry> entries,
        int page,
        int size,
        long totalElements,
        int totalPages) {
}
