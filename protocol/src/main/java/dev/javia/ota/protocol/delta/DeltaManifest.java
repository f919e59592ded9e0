package dev.javia.ota.protocol.delta;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * {@code delta.json}. Fields are only ever added; {@code format_version} changes only when an older assembler could
 * no longer build the release right from a newer delta (it refuses one of a newer format, and the agent installs the
 * full package).
 *
 * @param formatVersion        {@value DeltaLayout#FORMAT_VERSION}
 * @param baseVersion          e.g. {@code v1.0.0}
 * @param baseManifestSha256   SHA-256 hex of the base package's {@code update_metadata.json} bytes
 * @param targetManifestSha256 SHA-256 hex of the target's {@code update_metadata.json} bytes (the delta's entry)
 * @param removed              paths (relative to {@code pi_client/}) in the base and not in the target
 * @param files                every target file not identical (same path, SHA-256 and mode) in the base
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeltaManifest(int formatVersion, String baseVersion, String baseManifestSha256, String targetVersion,
                            String targetManifestSha256, List<String> removed, List<DeltaFile> files) {

    public DeltaManifest {
        removed = removed == null ? List.of() : List.copyOf(removed);
        files = files == null ? List.of() : List.copyOf(files);
    }
}
