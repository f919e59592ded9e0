package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.RolloutTarget;
import dev.javia.ota.server.persistence.JsonColumn;

import java.util.ArrayList;
import java.util.List;

/**
 * A rollout's target as SQL over {@code devices d}: the one place that says which devices a target holds, for the
 * rollout's creation and for a device that joins later.
 */
final class RolloutTargets {

    private RolloutTargets() {
    }

    /** A condition and its parameters, in order. */
    record Condition(String sql, List<Object> params) {
    }

    static Condition where(RolloutTarget target) {
        List<String> parts = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        if (target.deviceUuids() != null) {
            parts.add("d.device_uuid = any(?::text[])");
            params.add(target.deviceUuids().toArray(String[]::new));
        }
        if (target.version() != null) {
            parts.add("d.current_version = ?");
            params.add(target.version());
        }
        if (target.status() != null) {
            parts.add("d.status = ?");
            params.add(target.status().wire());
        }
        if (target.timezone() != null) {
            parts.add("d.timezone = ?");
            params.add(target.timezone());
        }
        if (target.metadata() != null && !target.metadata().isEmpty()) {
            parts.add("d.metadata @> ?::jsonb");
            params.add(JsonColumn.write(target.metadata()));
        }
        return new Condition(parts.isEmpty() ? "true" : "(" + String.join(" and ", parts) + ")", params);
    }
}
