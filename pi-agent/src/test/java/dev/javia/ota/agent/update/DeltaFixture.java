package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.DeltaOffer;
import dev.javia.ota.protocol.delta.DeltaAssembler;
import dev.javia.ota.protocol.delta.DeltaBuilder;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.PackageExtractor;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.Version;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Releases as packages and deltas between them, for the delta tests: the device's release installed from a real
 * package (its metadata kept beside it, as an install by this agent leaves it), and a delta from it to a new one
 * served by the fake server.
 */
final class DeltaFixture {

    /** What the device assembles with: the protocol's assembler, as Main wires it. */
    static final Deltas.Assembler ASSEMBLER = DeltaAssembler::assemble;

    private DeltaFixture() {
    }

    /** Builds the delta from {@code base} to {@code target} into {@code out}, as the server does at publish. */
    static Path buildDelta(Path base, Path target, Path out) throws IOException {
        DeltaBuilder.build(base, target, out, PackageLimits.defaults());
        return out;
    }

    /** The SHA-256 of a package's update_metadata.json: what a delta's base and target are named by. */
    static String manifestSha256(Path zip) {
        return Sha256.of(Extracting.metadataBytes(zip, PackageLimits.defaults()));
    }

    /**
     * Writes a release's source tree: {@code files} by path (content; a path ending in {@code *} is executable,
     * without the star).
     */
    static Path source(Path dir, Map<String, String> files) throws IOException {
        for (Map.Entry<String, String> file : files.entrySet()) {
            boolean executable = file.getKey().endsWith("*");
            String path = executable ? file.getKey().substring(0, file.getKey().length() - 1) : file.getKey();
            Path written = dir.resolve(path);
            Files.createDirectories(written.getParent());
            Files.writeString(written, file.getValue());
            Files.setPosixFilePermissions(written, PosixFilePermissions.fromString(executable ? "rwxr-xr-x"
                    : "rw-r--r--"));
        }
        return dir;
    }

    /** Builds {@code version} from {@code files} (see {@link #source}) into {@code workDir}. */
    static Path build(DeviceFixture device, String version, Map<String, String> files) throws IOException {
        Path source = source(device.workDir.resolve("delta-source-" + version), files);
        Path zip = device.workDir.resolve("delta-update_" + version + ".zip");
        PackageBuilder.buildFile(source, Version.parse(version), UpdateType.URGENT, "delta test " + version,
                List.of(), Instant.parse("2025-01-01T00:00:00Z"), zip);
        return zip;
    }

    /**
     * Installs {@code zip} as the device's current release, as an install of this agent leaves it: extracted, its
     * metadata kept beside it, current switched (the fixture's hand-made v1.0.0 is replaced).
     */
    static void install(DeviceFixture device, String version, Path zip) {
        InstallRoot root = device.root;
        InstallRoot.deleteTree(root.release(version));
        PackageExtractor.extract(zip, root.release(version), PackageLimits.defaults());
        root.keepManifest(version, Extracting.metadataBytes(zip, PackageLimits.defaults()));
        root.switchTo(version);
    }

    /** Offers {@code target} as {@code version}, due now, with its delta from the package the device runs. */
    static Offered offer(DeviceFixture device, Path base, String baseVersion, Path target, String version) {
        try {
            UpdateOffer offer = device.server.offer(target, version, UpdateType.URGENT,
                    device.clock.instant().minusSeconds(60), List.of());
            Path delta = buildDelta(base, target, device.workDir.resolve("delta-" + baseVersion + "-" + version + ".zip"));
            DeltaOffer named = device.server.offerDelta(delta, baseVersion, manifestSha256(base),
                    manifestSha256(target));
            return new Offered(offer.withDelta(named), delta);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    record Offered(UpdateOffer offer, Path delta) {
    }
}
