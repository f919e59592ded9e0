package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.List;

/**
 * Body of {@code POST /api/v1/rollouts}: a new rollout of an update already published (e.g. after its rollout was
 * cancelled, or to reach devices its first target left out). The fields are the rollout fields of
 * {@code POST /api/v1/updates/create}, in the same formats; every one but {@code version} may be left out, with the
 * same defaults (one phase, everyone, at once). The update's type is the published one: it is in the signed package.
 *
 * @param version          the published version to roll out, e.g. v1.2.3
 * @param phases           cumulative phases, a device count or a share of the target, ending at 100%, e.g.
 *                         {@code 1,10%,100%}
 * @param soak             how long each phase runs before it may advance, e.g. {@code 1h}
 * @param successThreshold installed share a phase needs to advance, e.g. {@code 95%}
 * @param failureThreshold failed and silent share that pauses the rollout, e.g. {@code 20%}
 * @param installTimeout   a started device silent this long counts as failed, e.g. {@code 2h}
 * @param targetDevices    only these devices (uuids); not with the {@code target_*} filters
 * @param targetMetadata   only devices whose metadata holds these pairs, e.g. {@code model=pi4,room=kitchen}
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RolloutCreate(
        String version,
        @Nullable String phases,
        @Nullable String soak,
        @Nullable String successThreshold,
        @Nullable String failureThreshold,
        @Nullable Integer minFinished,
        @Nullable Integer minSample,
        @Nullable String installTimeout,
        @Nullable Integer maxConcurrent,
        @Nullable Instant startAt,
        @Nullable Boolean requireApproval,
        @Nullable Boolean autoRollback,
        @Nullable List<String> targetDevices,
        @Nullable String targetVersion,
        @Nullable String targetStatus,
        @Nullable String targetTimezone,
        @Nullable String targetMetadata) {
}
