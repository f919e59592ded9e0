package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;
import java.util.UUID;

/**
 * The update a device is offered by a check: everything it needs to download and verify the package.
 *
 * @param rollback whether the operator means this version to replace a newer one: an agent installs a version at or
 *                 below the one it runs only then. Added after the first agents shipped, so at the end and additive:
 *                 absent (a server before it) reads as false, a plain update, and an agent before it ignores it.
 *                 Read as "empty when absent or null" because Jackson 3 refuses a missing primitive by default
 *                 ({@code FAIL_ON_NULL_FOR_PRIMITIVES}): without it a strict reader would refuse an older server's
 *                 offer.
 */
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
        List<String> systemPackages,
        @JsonSetter(nulls = Nulls.AS_EMPTY) boolean rollback) {

    /** This offer as the operator's rollback. */
    public UpdateOffer asRollback() {
        return new UpdateOffer(id, version, updateType, description, packageUrl, sha256, sizeBytes,
                requiresSystemPackages, systemPackages, true);
    }
}
