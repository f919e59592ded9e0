package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.pkg.AgentRelease;
import dev.javia.ota.protocol.pkg.PackageInspector;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.UpdateMetadata;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.PublisherKeySet;
import dev.javia.ota.protocol.trust.PublisherKeys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Checks the downloaded file against the check's size and SHA-256, then the package itself (with publisher keys,
 * its signature first; then structure, metadata, manifest, limits), before a single file is unpacked; with publisher
 * keys, a downgrade's rollback statement again. A mismatch is fatal: the file is deleted and the failure reported.
 * A verified package's newer key set is taken here ({@link #learnKeys}).
 */
final class Verifying extends UpdateState {

    static final String NAME = "verifying";

    Verifying(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        String version = job.version();
        if (Version.tryParse(version).isEmpty()) {
            // the version names a directory: nothing but vMAJOR.MINOR.PATCH may reach a path
            return onFailure("version '" + version + "' is not vMAJOR.MINOR.PATCH; republish the update");
        }
        Path part = context.download(job);
        long size;
        String sha256;
        try {
            size = Files.size(part);
            sha256 = Sha256.of(part);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the downloaded package " + part + ": " + e.getMessage(), e);
        }
        if (size != job.offer().sizeBytes()) {
            return onFailure("package is " + size + " bytes, the server announced " + job.offer().sizeBytes()
                    + "; it was deleted and is downloaded again on a retry");
        }
        String expected = job.offer().sha256() == null ? "" : job.offer().sha256().toLowerCase(Locale.ROOT);
        if (!sha256.equals(expected)) {
            return onFailure("checksum mismatch: package SHA-256 is " + sha256 + ", the server announced "
                    + (expected.isEmpty() ? "none" : expected) + "; it was deleted and is downloaded again on a retry");
        }
        // with publisher keys, the signature is checked over update_metadata.json before its JSON is parsed, and
        // its manifest then covers every file: nothing the publisher did not sign is read further
        UpdateMetadata metadata = PackageInspector.inspect(part, context.limits(), context.packageTrust(job));
        Optional<String> refusal = refusal(context, job, metadata);
        if (refusal.isPresent()) {
            return onFailure(refusal.get());
        }
        List<String> packages = systemPackages(job, metadata);
        UpdateLog.step(job, "verified: " + size + " bytes, sha256 " + sha256 + ", " + metadata.files().size()
                + " files" + (metadata.agent() == null ? "" : ", agent " + metadata.agent().version()
                + (metadata.includesApp() ? "" : " only")) + (packages.isEmpty() ? "" : ", system packages "
                + packages));
        return nextPart(context, job.withSystemPackages(packages), metadata);
    }

    /**
     * What is checked of a package's metadata once its signature (with publisher keys) verified, however the
     * metadata arrived (in the package, or in a delta): a newer key set is learnt, the version must be the offer's,
     * and with publisher keys the downgrade rule is applied again (a rollback's statement is spent here).
     *
     * @return why the update is refused
     */
    static Optional<String> refusal(UpdateContext context, UpdateJob job, UpdateMetadata metadata) {
        String version = job.version();
        PublisherKeys keys = context.trust().keys();
        Optional<String> refusal = learnKeys(context, job, keys, metadata);
        if (refusal.isPresent()) {
            return refusal;
        }
        if (!version.equals(metadata.version())) {
            return Optional.of("package holds " + metadata.version() + ", the server offered " + version
                    + "; republish the right package");
        }
        if (!keys.isEmpty()) {
            // checked when offered, and again here against the keys in force now (as a resume here would) and the
            // signed metadata's version (equal to the offer's, above). The id is not held against this job: it may
            // have recorded it before a power cut, and every other offer met the used ids when it was admitted
            DowngradeRule.Decision decision = DowngradeRule.decide(job.offer(), context.root().installedVersion(),
                    context.trust().keys(), id -> false);
            if (decision.refusalReason().isPresent()) {
                return decision.refusalReason();
            }
            if (decision.statement() != null) {
                // before the install goes past verification: once extracting starts, the statement is spent
                context.statements().record(decision.statement().statementId());
                UpdateLog.step(job, "rollback statement " + decision.statement().statementId() + " verified: "
                        + decision.statement().targetVersion() + " replaces " + decision.statement().replaces());
            }
        }
        return Optional.empty();
    }

    /** What apt installs: the offer's list and the package's. */
    static List<String> systemPackages(UpdateJob job, UpdateMetadata metadata) {
        Set<String> packages = new LinkedHashSet<>(job.offer().systemPackages() == null ? List.of()
                : job.offer().systemPackages());
        packages.addAll(metadata.systemPackages());
        return List.copyOf(packages);
    }

    /**
     * The agent first, when the package carries an agent other than the one running; then the app, or for an
     * agent-only package its release carried forward. The app's current release is remembered here already: it
     * does not move before the app's switch, and a carried-forward release must keep it as its previous one.
     */
    private UpdateState nextPart(UpdateContext context, UpdateJob verified, UpdateMetadata metadata) {
        AgentRelease agent = metadata.agent();
        String running = context.agent().running();
        boolean agentPart = agent != null && !agent.version().equals(running);
        if (agent != null && !agentPart) {
            UpdateLog.step(job, "agent part skipped: the running agent is already " + running);
        }
        UpdateJob next = verified.withParts(agentPart ? agent.version() : null, metadata.includesApp())
                .withPreviousVersion(context.root().currentRelease().orElse(null));
        if (agentPart) {
            return new AgentExtracting(next);
        }
        return metadata.includesApp() ? new Extracting(next) : new CarryingForward(next);
    }

    /**
     * Takes the package's {@code publisher_keys} when its serial is above the one held. Here, at verification, and
     * not once the install completed: the set is the publisher's word as soon as the signature verified, whatever
     * this device then makes of the install (an apt failure, a health check that fails, a switch back). Learning
     * only from a completed install would leave a device whose install failed on the old keys, and once the
     * publisher retires them it could never verify an update again. An older package (a rollback, a replay) carries
     * a lower serial and changes nothing.
     *
     * @return why the package is refused: a set that does not list the key that signed it (after learning it the
     *         device would refuse this very package when it extracts it, or resumes), or a malformed one
     */
    private static Optional<String> learnKeys(UpdateContext context, UpdateJob job, PublisherKeys keys,
            UpdateMetadata metadata) {
        PublisherKeySet offered = metadata.publisherKeys();
        if (keys.isEmpty() || offered == null) {
            return Optional.empty();
        }
        PublisherKeys named;
        try {
            named = offered.parsed();
        } catch (IllegalArgumentException e) {
            return Optional.of("the package's publisher_keys is not a key set (" + e.getMessage() + "); republish "
                    + "it with create_update --publisher-keys FILE[,FILE] --key-serial N");
        }
        String signer = job.offer().signature().keyId();
        if (!named.contains(signer)) {
            return Optional.of("the package is signed by key " + signer + ", but its publisher_keys (serial "
                    + offered.serial() + ") does not list that key; republish it signed by a key of the set, or with "
                    + "the signing key in the set");
        }
        long before = context.trust().serial();
        if (context.trust().learn(offered)) {
            UpdateLog.step(job, "publisher keys: serial " + before + " -> " + offered.serial() + ", trusting "
                    + named.describe());
        } else if (offered.serial() < before) {
            UpdateLog.step(job, "publisher keys of serial " + offered.serial() + " ignored: serial " + before
                    + " is in force");
        }
        return Optional.empty();
    }
}
