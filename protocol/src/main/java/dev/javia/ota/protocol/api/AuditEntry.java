package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.Map;

/**
 * One entry of the audit log: who did what to what, when, and from where.
 *
 * @param actor   the admin key's name, {@code enrollment}, {@code device:<uuid>}, or {@code system} for the server
 * @param address the caller's address as the server saw it; null for what the server did by itself
 * @param details what the action changed or was given; its keys depend on the action
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AuditEntry(
        long id,
        Instant at,
        String actor,
        @Nullable String address,
        String action,
        String targetType,
        @Nullable String targetId,
        Map<String, Object> details) {
}
