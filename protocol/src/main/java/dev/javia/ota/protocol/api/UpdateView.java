package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An update as the operator sees it, with how many devices are in each status and its latest rollout (null for an
 * update published before rollouts existed). In the update list a finished or cancelled rollout's phases carry
 * no device counts (empty {@code status_counts}, zero devices): {@code GET /api/v1/updates/{id}} and the rollout's own
 * page have them.
 *
 * @param signedBy the id of the publisher key that signed the package ({@code key_id} of its {@code .sig}); null
 *                 when it was published unsigned
 * @param agentVersion the version of the agent release the package carries (installed before the app); null for a
 *                 package without one
 * @param delivery what its devices downloaded against the whole package's cost (deltas' saving); null from a server
 *                 before deltas
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateView(
        UUID id,
        String version,
        Instant createdAt,
        UpdateType updateType,
        String description,
        String packageUrl,
        String sha256,
        long sizeBytes,
        boolean requiresSystemPackages,
        List<String> systemPackages,
        Map<UpdateStatus, Long> statusCounts,
        @Nullable RolloutView rollout,
        @Nullable String signedBy,
        @Nullable String agentVersion,
        @Nullable DeliveryTotals delivery) {

    /** An update as views before deltas (issue 18): no delivery totals. */
    public UpdateView(UUID id, String version, Instant createdAt, UpdateType updateType, String description,
                      String packageUrl, String sha256, long sizeBytes, boolean requiresSystemPackages,
                      List<String> systemPackages, Map<UpdateStatus, Long> statusCounts, RolloutView rollout,
                      String signedBy, String agentVersion) {
        this(id, version, createdAt, updateType, description, packageUrl, sha256, sizeBytes, requiresSystemPackages,
                systemPackages, statusCounts, rollout, signedBy, agentVersion, null);
    }

    /** An update as views before agent releases (issue 16): it carries no agent. */
    public UpdateView(UUID id, String version, Instant createdAt, UpdateType updateType, String description,
                      String packageUrl, String sha256, long sizeBytes, boolean requiresSystemPackages,
                      List<String> systemPackages, Map<UpdateStatus, Long> statusCounts, RolloutView rollout,
                      String signedBy) {
        this(id, version, createdAt, updateType, description, packageUrl, sha256, sizeBytes, requiresSystemPackages,
                systemPackages, statusCounts, rollout, signedBy, null, null);
    }

    /** An update without a signer, as a server before signatures showed it. */
    public UpdateView(UUID id, String version, Instant createdAt, UpdateType updateType, String description,
                      String packageUrl, String sha256, long sizeBytes, boolean requiresSystemPackages,
                      List<String> systemPackages, Map<UpdateStatus, Long> statusCounts, RolloutView rollout) {
        this(id, version, createdAt, updateType, description, packageUrl, sha256, sizeBytes, requiresSystemPackages,
                systemPackages, statusCounts, rollout, null, null, null);
    }
}
