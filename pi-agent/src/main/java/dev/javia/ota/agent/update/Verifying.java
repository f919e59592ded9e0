package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.pkg.PackageInspector;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.UpdateMetadata;
import dev.javia.ota.protocol.pkg.Version;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks the downloaded file against the check's size and SHA-256, then the package itself (structure, metadata,
 * manifest, limits), before a single file is unpacked. A mismatch is fatal: the file is deleted and the failure
 * reported.
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
        UpdateMetadata metadata = PackageInspector.inspect(part, context.limits());
        if (!version.equals(metadata.version())) {
            return onFailure("package holds " + metadata.version() + ", the server offered " + version
                    + "; republish the right package");
        }
        Set<String> packages = new LinkedHashSet<>(job.offer().systemPackages() == null ? List.of()
                : job.offer().systemPackages());
        packages.addAll(metadata.systemPackages());
        UpdateLog.step(job, "verified: " + size + " bytes, sha256 " + sha256 + ", " + metadata.files().size()
                + " files" + (packages.isEmpty() ? "" : ", system packages " + packages));
        return new Extracting(job.withSystemPackages(List.copyOf(packages)));
    }
}
