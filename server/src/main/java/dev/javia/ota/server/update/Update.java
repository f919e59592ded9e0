package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.DeliveryTotals;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.api.RolloutView;
import dev.javia.ota.protocol.api.UpdateView;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.PublisherSignature;
import dev.javia.ota.server.persistence.JsonColumn;
import dev.javia.ota.server.persistence.StringListJsonConverter;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.ColumnTransformer;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A published update: one version, one package, as the seed's {@code updates} table holds it. */
@Entity
@Table(name = "updates")
public class Update {

    @Id
    private UUID id;
    private String version;
    private Instant createdAt;
    @Convert(converter = UpdateTypeConverter.class)
    private UpdateType updateType;
    private String description;
    private String packageUrl;
    private boolean requiresSystemPackages;
    @Convert(converter = StringListJsonConverter.class)
    @ColumnTransformer(write = "?::jsonb")
    @Column(columnDefinition = "jsonb")
    private List<String> systemPackages;
    private String sha256;
    private long sizeBytes;
    /** The publisher's signature of the package (a {@link PublisherSignature}'s JSON); null when unsigned. */
    private String signature;
    private String storageKey;
    private int versionMajor;
    private int versionMinor;
    private int versionPatch;
    @Convert(converter = StringListJsonConverter.class)
    @ColumnTransformer(write = "?::jsonb")
    @Column(columnDefinition = "jsonb")
    private List<String> targetDevices;
    /** The agent release the package carries ({@code javia_agent/}), null for an app-only update. */
    private String agentVersion;
    /** The package's {@code format_version}: the update check offers it only to agents that read it. */
    private int packageFormat;
    /** SHA-256 of the package's update_metadata.json (what a delta's base is checked by); null before deltas. */
    private String manifestSha256;

    protected Update() {
    }

    Update(UUID id, Version version, UpdateType type, String description, List<String> systemPackages,
            String sha256, long sizeBytes, PublisherSignature signature, String storageKey, List<String> targetDevices,
            String agentVersion, int packageFormat, String manifestSha256, Instant now) {
        this.id = id;
        this.version = version.toString();
        this.versionMajor = version.major();
        this.versionMinor = version.minor();
        this.versionPatch = version.patch();
        this.createdAt = now;
        this.updateType = type;
        this.description = description;
        this.packageUrl = ApiPaths.download(id);
        this.systemPackages = List.copyOf(systemPackages);
        this.requiresSystemPackages = !systemPackages.isEmpty();
        this.sha256 = sha256;
        this.sizeBytes = sizeBytes;
        this.signature = signature == null ? null : JsonColumn.write(signature);
        this.storageKey = storageKey;
        this.targetDevices = targetDevices == null ? null : List.copyOf(targetDevices);
        this.agentVersion = agentVersion;
        this.packageFormat = packageFormat;
        this.manifestSha256 = manifestSha256;
    }

    UpdateOffer offer() {
        return new UpdateOffer(id, version, updateType, description, packageUrl, sha256, sizeBytes,
                requiresSystemPackages, systemPackages, false, signature(), null);
    }

    UpdateView view(Map<UpdateStatus, Long> statusCounts, RolloutView rollout, DeliveryTotals delivery) {
        return new UpdateView(id, version, createdAt, updateType, description, packageUrl, sha256, sizeBytes,
                requiresSystemPackages, systemPackages, statusCounts, rollout,
                signature == null ? null : signature().keyId(), agentVersion, delivery);
    }

    private PublisherSignature signature() {
        return JsonColumn.read(signature, PublisherSignature.class);
    }

    public UUID id() {
        return id;
    }

    public String version() {
        return version;
    }

    public UpdateType updateType() {
        return updateType;
    }

    /** The agent release the package carries, or null. */
    String agentVersion() {
        return agentVersion;
    }

    String sha256() {
        return sha256;
    }

    long sizeBytes() {
        return sizeBytes;
    }

    String storageKey() {
        return storageKey;
    }

    /** SHA-256 of the package's update_metadata.json; null for an update published before deltas. */
    String manifestSha256() {
        return manifestSha256;
    }
}
