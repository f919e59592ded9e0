package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.UpdateMetadata;

import java.io.IOException;
import java.nio.file.Path;

/**
 * How this device takes deltas (issue 18): {@code DELTAS} and {@code DELTA_FALLBACK}, and what builds a release from
 * a delta and the current release.
 *
 * @param enabled        {@code DELTAS=on}: an offer's delta is used when it fits the installed release
 * @param refuseFallback {@code DELTA_FALLBACK=refuse}: a delta that cannot be used fails the update instead of
 *                       falling back to the full package (metered links)
 * @param assembler      {@code DeltaAssembler.assemble} on a device; tests cut the power around it
 */
public record Deltas(boolean enabled, boolean refuseFallback, Assembler assembler) {

    /**
     * Builds the target release in {@code targetDir} (which must not exist) from {@code currentRelease} and the
     * delta, and verifies every file of it against the target manifest before it returns that manifest; throws when
     * the delta or the current release is not what the offer said.
     */
    @FunctionalInterface
    public interface Assembler {
        UpdateMetadata assemble(Path delta, Path currentRelease, Path targetDir, PackageLimits limits,
                                PackageTrust trust, String expectedTargetManifestSha256) throws IOException;
    }

    /** What to tell the operator when a delta cannot be used and the setting refuses the full package. */
    static final String REFUSED = "DELTA_FALLBACK=refuse keeps this device from downloading the full package: set "
            + "DELTA_FALLBACK=full, or retry after repairing the release (a package reinstalled in full, or the "
            + "files changed on the device put back)";
}
