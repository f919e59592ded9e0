package dev.javia.ota.protocol.pkg;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.trust.PublisherKeySet;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;

/**
 * {@code update_metadata.json}: what the update is and a manifest of every file under {@code pi_client/}.
 * Fields are only ever added: agents in the field read packages built by newer packagers, and unknown fields are
 * ignored. {@code format_version} changes only when an old reader could no longer install a package safely.
 *
 * @param publisherKeys the publisher keys agents trust once this package's signature verified (key rotation);
 *                      null for "no change". Added with signatures: an agent before them ignores it.
 * @param agent         the agent release the package carries under {@code javia_agent/}, or null (format 1: left
 *                      out of the JSON, so a package without one is byte for byte what it was before)
 * @param appIncluded   with an agent: whether {@code pi_client/} is there too (false: an agent-only package, whose
 *                      {@code files} is empty); null (left out) reads as true
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateMetadata(
        int formatVersion,
        String version,
        UpdateType updateType,
        String description,
        Instant createdAt,
        boolean requiresSystemPackages,
        List<String> systemPackages,
        List<ManifestEntry> files,
        @JsonInclude(JsonInclude.Include.NON_NULL) PublisherKeySet publisherKeys,
        @JsonInclude(JsonInclude.Include.NON_NULL) AgentRelease agent,
        @JsonInclude(JsonInclude.Include.NON_NULL) Boolean appIncluded) {

    /** The longest description the server keeps; the packager refuses a longer one before it builds anything. */
    public static final int MAX_DESCRIPTION_LENGTH = 2000;

    public UpdateMetadata {
        systemPackages = systemPackages == null ? List.of() : List.copyOf(systemPackages);
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** Metadata without an agent release (format 1). */
    public UpdateMetadata(int formatVersion, String version, UpdateType updateType, String description,
                          Instant createdAt, boolean requiresSystemPackages, List<String> systemPackages,
                          List<ManifestEntry> files, PublisherKeySet publisherKeys) {
        this(formatVersion, version, updateType, description, createdAt, requiresSystemPackages, systemPackages, files,
                publisherKeys, null, null);
    }

    /** Metadata that names no publisher keys. */
    public UpdateMetadata(int formatVersion, String version, UpdateType updateType, String description,
                          Instant createdAt, boolean requiresSystemPackages, List<String> systemPackages,
                          List<ManifestEntry> files) {
        this(formatVersion, version, updateType, description, createdAt, requiresSystemPackages, systemPackages, files,
                null);
    }

    /** Whether {@code pi_client/} is part of the package: always, except in an agent-only package. */
    public boolean includesApp() {
        return appIncluded == null || appIncluded;
    }

    /** The parsed {@link #version()}; only call on metadata that {@link PackageInspector} accepted. */
    public Version parsedVersion() {
        return Version.parse(version);
    }

    public static UpdateMetadata read(InputStream json) {
        return PackageJson.read(json, PackageLimits.defaults());
    }

    public void writeTo(OutputStream out) {
        PackageJson.write(this, out);
    }

    public String toJson() {
        return PackageJson.toJson(this);
    }

    public static UpdateMetadata fromJson(String json) {
        return PackageJson.fromJson(json);
    }
}
