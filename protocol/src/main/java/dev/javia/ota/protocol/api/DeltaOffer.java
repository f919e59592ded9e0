package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The delta an offer names for the device's version ({@link UpdateOffer#delta()}): what the new release changes
 * against the release the device runs, far smaller than the package when little changed. The agent takes it only
 * when its installed release is exactly the base: its version is {@code base_version} and the SHA-256 of its
 * {@code update_metadata.json} is {@code base_manifest_sha256}; otherwise, and whenever assembling the release from
 * it does not give every file of the target manifest, it downloads the whole package.
 *
 * @param baseVersion        the version the delta starts from
 * @param baseManifestSha256 SHA-256 (hex) of the base package's {@code update_metadata.json} bytes
 * @param manifestSha256     SHA-256 (hex) of the target's {@code update_metadata.json} bytes, which the delta holds:
 *                           the same bytes the offer's {@code signature} covers
 * @param url                where to download it (server-relative, like {@code package_url})
 * @param sha256             SHA-256 (hex) of the delta file
 * @param sizeBytes          the delta file's size
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeltaOffer(
        String baseVersion,
        String baseManifestSha256,
        String manifestSha256,
        String url,
        String sha256,
        long sizeBytes) {
}
