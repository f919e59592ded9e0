package dev.javia.ota.server.update;

import com.github.f4b6a3.uuid.UuidCreator;
import dev.javia.ota.protocol.api.DeliveryTotals;
import dev.javia.ota.protocol.api.RolloutKind;
import dev.javia.ota.protocol.api.RolloutView;
import dev.javia.ota.protocol.api.UpdateCreated;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.delta.DeltaAssembler;
import dev.javia.ota.protocol.pkg.InvalidPackageException;
import dev.javia.ota.protocol.pkg.PackageInspector;
import dev.javia.ota.protocol.pkg.PackageJson;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.UpdateMetadata;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.PublisherSignature;
import dev.javia.ota.server.OtaProperties;
import dev.javia.ota.server.audit.AuditLog;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.storage.PackageStore;
import dev.javia.ota.server.web.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.multipart.MultipartFile;
import tools.jackson.core.JacksonException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Publishes an update: checks the form and the package (the publisher's signature over its metadata, the metadata
 * agrees with the form, the manifest with the files), stores the package, makes its deltas ({@link DeltaMaker}: any
 * that fails is left out, never the publish), records the update with them and creates its rollout (which offers its
 * first phase), all or nothing.
 */
@Service
class UpdatePublisher {

    private static final Logger log = LoggerFactory.getLogger(UpdatePublisher.class);
    /** A {@code .sig} file is about 130 characters; this bounds what is parsed. */
    static final int MAX_SIGNATURE_CHARS = 4096;

    private final UpdateRepository updates;
    private final Rollouts rollouts;
    private final PackageStore store;
    private final TransactionTemplate transaction;
    private final Clock clock;
    private final PackageLimits limits;
    private final AuditLog audit;
    private final PublisherTrust trust;
    private final DeltaMaker deltaMaker;
    private final UpdateDeltas deltas;

    UpdatePublisher(UpdateRepository updates, Rollouts rollouts, PackageStore store, TransactionTemplate transaction,
            Clock clock, OtaProperties properties, AuditLog audit, PublisherTrust trust, DeltaMaker deltaMaker,
            UpdateDeltas deltas) {
        this.deltaMaker = deltaMaker;
        this.deltas = deltas;
        this.audit = audit;
        this.trust = trust;
        this.updates = updates;
        this.rollouts = rollouts;
        this.store = store;
        this.transaction = transaction;
        this.clock = clock;
        this.limits = PackageLimits.defaults().withMaxPackageBytes(properties.maxPackageSize().toBytes());
    }

    /**
     * @param signatureText the upload's {@code signature} (the JSON of the package's {@code .sig}), null for none
     */
    UpdateCreated publish(UpdateForm form, RolloutPlan plan, MultipartFile upload, String signatureText,
            Caller caller) {
        if (upload == null || upload.isEmpty()) {
            throw ApiException.badRequest("the form part 'package' must carry the update ZIP");
        }
        PublisherSignature signature = signature(signatureText, form);
        checkVersionIsNew(form);
        rollouts.checkTargetsExist(form.targetDevices());
        Path file = receive(upload);
        try {
            UpdateMetadata metadata = inspect(file, form, signature);
            String sha256 = Sha256.of(file);
            long size = Files.size(file);
            UUID id = UuidCreator.getTimeOrderedEpoch();
            String key = PackageStore.packageKey(form.version());
            String manifestSha256 = DeltaAssembler.manifestSha256(file);
            store.put(key, file);
            List<UpdateDeltas.Delta> made = new ArrayList<>();
            try {
                // before the update is recorded: no device is offered it (nor woken for it) before its deltas exist
                if (metadata.agent() == null && metadata.includesApp()) {
                    made.addAll(deltaMaker.make(id, form.version().toString(), file, size, limits));
                } else {
                    // a delta carries pi_client/ only: a package with an agent release always travels whole
                    log.info("deltas not made version={}: the package carries an agent release", form.version());
                }
                UpdateCreated created = transaction.execute(status -> {
                    Update update = updates.saveAndFlush(new Update(id, form.version(), form.updateType(),
                            form.description(), form.systemPackages(), sha256, size, signature, key,
                            form.targetDevices(), agentVersion(metadata), metadata.formatVersion(), manifestSha256,
                            clock.instant()));
                    made.forEach(deltas::insert);
                    Rollouts.Created rollout = rollouts.create(update.id(), update.version(), RolloutKind.RELEASE,
                            plan, new Rollouts.Actor(caller), null);
                    audit.record(caller, "update.published", "update", id.toString(),
                            published(form, rollout, signature, metadata, made));
                    RolloutView view = rollouts.views(List.of(rollout.rollout())).get(0);
                    return new UpdateCreated(update.view(Map.of(UpdateStatus.PENDING, (long) rollout.offered()), view,
                            DeliveryTotals.NONE), rollout.offered(), view);
                });
                log.info("published update version={} type={} sha256={} size_bytes={} files={} agent_version={}"
                                + " package_format={} signed_by={} scheduled_devices={} deltas={}", form.version(),
                        form.updateType().wire(), sha256, size, metadata.files().size(),
                        metadata.agent() == null ? "none" : metadata.agent().version(), metadata.formatVersion(),
                        signature == null ? "none" : signature.keyId(),
                        Objects.requireNonNull(created).scheduledDevices(),
                        made.stream().map(delta -> delta.baseVersion() + ":" + delta.sizeBytes()).toList());
                return created;
            } catch (RuntimeException e) {
                deltaMaker.forget(made);
                store.delete(key);
                if (e instanceof DataIntegrityViolationException) {
                    throw ApiException.conflict("version " + form.version() + " was published at the same moment by"
                            + " another request: choose a new version");
                }
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not store the package", e);
        } finally {
            deleteQuietly(file);
        }
    }

    /** What the audit log keeps of a publication: the form's settings (null targets: the whole fleet). */
    private static Map<String, Object> published(UpdateForm form, Rollouts.Created rollout,
            PublisherSignature signature, UpdateMetadata metadata, List<UpdateDeltas.Delta> deltas) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("version", form.version().toString());
        details.put("agent_version", agentVersion(metadata));
        details.put("app_included", metadata.includesApp());
        details.put("package_format", metadata.formatVersion());
        details.put("update_type", form.updateType().wire());
        details.put("signed_by", signature == null ? null : signature.keyId());
        details.put("target_devices", form.targetDevices());
        details.put("scheduled_devices", rollout.offered());
        details.put("rollout", rollout.rollout().id().toString());
        details.put("rollout_state", rollout.rollout().state().wire());
        details.put("phases", rollout.rollout().phases().stream().map(RolloutRow.Phase::size).toList());
        details.put("rules", rollout.rollout().rules());
        details.put("target", rollout.rollout().target());
        details.put("deltas", deltas.stream().map(delta -> {
            Map<String, Object> made = new LinkedHashMap<>();
            made.put("base_version", delta.baseVersion());
            made.put("size_bytes", delta.sizeBytes());
            made.put("sha256", delta.sha256());
            made.put("whole_files", delta.wholeFiles());
            made.put("patched_files", delta.patchedFiles());
            made.put("copied_files", delta.copiedFiles());
            made.put("removed_files", delta.removedFiles());
            return made;
        }).toList());
        return details;
    }

    /** The agent release the package carries, or null for an app-only package. */
    private static String agentVersion(UpdateMetadata metadata) {
        return metadata.agent() == null ? null : metadata.agent().version();
    }

    private void checkVersionIsNew(UpdateForm form) {
        if (updates.existsByVersion(form.version().toString())) {
            throw ApiException.conflict("version " + form.version() + " is already published:"
                    + " publish the fix as a new version (e.g. " + form.version().bump(Version.Bump.PATCH) + ")");
        }
        updates.findFirstByOrderByVersionMajorDescVersionMinorDescVersionPatchDesc()
                .filter(newest -> Version.parse(newest.version()).compareTo(form.version()) > 0)
                .ifPresent(newest -> {
                    throw ApiException.conflict("version " + form.version() + " is older than " + newest.version()
                            + ", the newest published: devices never go back, so publish a version above it");
                });
    }

    private Path receive(MultipartFile upload) {
        try {
            Path file = store.newUploadFile();
            upload.transferTo(file);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not receive the upload", e);
        }
    }

    /**
     * The upload's signature, read; refused when it is not the JSON of a {@code .sig}, or when this server has no key
     * to verify it with (stored unverified, it would vouch for nothing).
     */
    private PublisherSignature signature(String text, UpdateForm form) {
        if (text == null || text.isBlank()) {
            return null;
        }
        if (!trust.hasKeys()) {
            throw ApiException.badRequest("the upload carries a signature, but this server has no publisher keys to"
                    + " verify it with: configure OTA_PUBLISHER_KEYS with the signing key's .pub line (and restart"
                    + " the server), or publish without the signature");
        }
        String hint = ": send the package's .sig file (update_" + form.version() + ".zip.sig) as written by"
                + " create_update --sign-key, {\"key_id\": \"...\", \"signature\": \"...\"}";
        if (text.length() > MAX_SIGNATURE_CHARS) {
            throw ApiException.badRequest("the signature is longer than " + MAX_SIGNATURE_CHARS + " characters" + hint);
        }
        PublisherSignature signature;
        try {
            signature = PackageJson.mapper().readValue(text, PublisherSignature.class);
        } catch (JacksonException e) {
            throw ApiException.badRequest("the signature is not the JSON of a signature file" + hint);
        }
        if (signature == null || signature.keyId() == null || signature.keyId().isBlank()
                || signature.signature() == null || signature.signature().isBlank()) {
            throw ApiException.badRequest("the signature needs both key_id and signature" + hint);
        }
        return signature;
    }

    private UpdateMetadata inspect(Path file, UpdateForm form, PublisherSignature signature) {
        UpdateMetadata metadata;
        try {
            metadata = PackageInspector.inspect(file, limits, trust.forUpload(signature, "package " + form.version()));
        } catch (InvalidPackageException e) {
            throw ApiException.badRequest("the package was refused: " + e.getMessage());
        }
        if (!form.version().toString().equals(metadata.version())) {
            throw ApiException.badRequest("the package's update_metadata.json says version " + metadata.version()
                    + " but the form says " + form.version() + ": build the package for the version you publish");
        }
        if (metadata.updateType() != form.updateType()) {
            throw ApiException.badRequest("the package's update_metadata.json says update_type "
                    + metadata.updateType().wire() + " but the form says " + form.updateType().wire());
        }
        if (!List.copyOf(metadata.systemPackages()).equals(form.systemPackages())) {
            throw ApiException.badRequest("the package's update_metadata.json lists system packages "
                    + metadata.systemPackages() + " but the form says " + form.systemPackages());
        }
        return metadata;
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("could not delete upload scratch file path={}", file);
        }
    }
}
