package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import dev.javia.ota.protocol.trust.PublisherSignature;
import dev.javia.ota.protocol.trust.RollbackStatement;
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
 * @param signature          the publisher's signature of the package ({@code .sig}): the agent verifies it against
 *                           its pinned keys before it unpacks anything. Null when the package was published unsigned
 *                           (or by a server before signatures; an agent before them ignores it).
 * @param rollbackStatement  with {@code rollback}: the publisher's signed statement that this version may replace the
 *                           device's; an agent with pinned keys installs a lower version only with one. Null
 *                           otherwise, and from a server before statements.
 * @param delta              the delta from the device's version to this one ({@link DeltaOffer}), when the server made
 *                           one; null otherwise, from a server before deltas, and for a rollback. An agent before
 *                           deltas ignores it and downloads {@code package_url} as always.
 * <p>These are {@link Nullable}: an answer carries every field, so an unsigned offer says {@code null}.
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
        @JsonSetter(nulls = Nulls.AS_EMPTY) boolean rollback,
        @Nullable PublisherSignature signature,
        @Nullable RollbackStatement.Signed rollbackStatement,
        @Nullable DeltaOffer delta) {

    /** An offer without a delta, as a server before deltas made it. */
    public UpdateOffer(UUID id, String version, UpdateType updateType, String description, String packageUrl,
                       String sha256, long sizeBytes, boolean requiresSystemPackages, List<String> systemPackages,
                       boolean rollback, PublisherSignature signature, RollbackStatement.Signed rollbackStatement) {
        this(id, version, updateType, description, packageUrl, sha256, sizeBytes, requiresSystemPackages,
                systemPackages, rollback, signature, rollbackStatement, null);
    }

    /** An offer without a signature or a statement, as a server before them made it. */
    public UpdateOffer(UUID id, String version, UpdateType updateType, String description, String packageUrl,
                       String sha256, long sizeBytes, boolean requiresSystemPackages, List<String> systemPackages,
                       boolean rollback) {
        this(id, version, updateType, description, packageUrl, sha256, sizeBytes, requiresSystemPackages,
                systemPackages, rollback, null, null);
    }

    /** This offer as the operator's rollback, with the publisher's statement (null when none was signed). */
    public UpdateOffer asRollback(RollbackStatement.Signed statement) {
        return new UpdateOffer(id, version, updateType, description, packageUrl, sha256, sizeBytes,
                requiresSystemPackages, systemPackages, true, signature, statement, null);
    }

    /** This offer with the delta from the device's version (null: none). */
    public UpdateOffer withDelta(DeltaOffer deltaOffer) {
        return new UpdateOffer(id, version, updateType, description, packageUrl, sha256, sizeBytes,
                requiresSystemPackages, systemPackages, rollback, signature, rollbackStatement, deltaOffer);
    }
}
