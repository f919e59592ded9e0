package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;
import java.util.Map;

/**
 * The devices a rollout is for: the listed {@code deviceUuids}, or every device that matches all the filters given
 * (none given: the whole fleet). Devices that register later join when they match.
 *
 * @param deviceUuids explicit devices; null when the rollout is for a filter
 * @param version     only devices that run this version
 * @param status      only devices in this status
 * @param timezone    only devices in this IANA timezone
 * @param metadata    only devices whose metadata holds every one of these key/value pairs
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RolloutTarget(
        @Nullable List<String> deviceUuids,
        @Nullable String version,
        @Nullable DeviceStatus status,
        @Nullable String timezone,
        @Nullable Map<String, String> metadata) {

    public static final RolloutTarget EVERYONE = new RolloutTarget(null, null, null, null, null);

    @JsonIgnore
    public boolean isEveryone() {
        return deviceUuids == null && version == null && status == null && timezone == null
                && (metadata == null || metadata.isEmpty());
    }
}
