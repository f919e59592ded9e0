package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.DeltaOffer;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.pkg.InvalidPackageException;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageSignatures;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.javia.ota.protocol.api.UpdateStatus.COMPLETED;
import static dev.javia.ota.protocol.api.UpdateStatus.DOWNLOADING;
import static dev.javia.ota.protocol.api.UpdateStatus.FAILED;
import static dev.javia.ota.protocol.api.UpdateStatus.INSTALLING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 18 on the device: an offer's delta is used when it fits the installed release, the release is assembled
 * from it and every file verified before the switch; anything that does not fit or fails gives the delta up for the
 * full package, with the reason reported, or with {@code DELTA_FALLBACK=refuse} fails the update without a byte of
 * the package. The outcome's report says what was downloaded and how.
 */
class DeltaUpdateTests {

    static final List<String> VIA_DELTA = List.of("waiting", "downloading-delta", "assembling", "system-packages",
            "dependencies", "switching", "restarting", "health-check", "reporting", "done", "idle");
    static final List<String> VIA_PACKAGE = List.of("waiting", "downloading", "verifying", "extracting",
            "system-packages", "dependencies", "switching", "restarting", "health-check", "reporting", "done", "idle");

    /** The release the device runs: a model file that does not change, the app, a script. */
    static Map<String, String> base() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("client.py", "print('javia v1.0.0')\n");
        files.put("audio/model.bin", "weights ".repeat(4096));
        files.put("audio/codec.py", "CODEC = 'opus'\n");
        files.put("old/legacy.py", "LEGACY = True\n");
        files.put("run.sh*", "#!/bin/sh\nexec python3 client.py\n");
        files.put("tools/check.sh", "#!/bin/sh\necho ok\n");
        return files;
    }

    /** One file changed (client.py), as the one-file change of the issue; VERSION changes with every version. */
    static Map<String, String> oneFileChanged() {
        Map<String, String> files = base();
        files.put("client.py", "print('javia v1.1.0')\n");
        return files;
    }

    /** A file added, one removed, a mode changed, a file renamed. */
    static Map<String, String> reshaped() {
        Map<String, String> files = base();
        files.put("audio/wake.py", "WAKE = 'javia'\n");
        files.remove("old/legacy.py");
        files.remove("tools/check.sh");
        files.put("tools/check.sh*", "#!/bin/sh\necho ok\n");
        files.put("audio/voice-model.bin", files.remove("audio/model.bin"));
        return files;
    }

    /** A device on base() v1.0.0, installed from its package (metadata kept); v1.1.0 of {@code target} offered. */
    static DeltaFixture.Offered arrange(DeviceFixture device, Map<String, String> target) throws IOException {
        Path base = DeltaFixture.build(device, "v1.0.0", base());
        DeltaFixture.install(device, "v1.0.0", base);
        Path next = DeltaFixture.build(device, "v1.1.0", target);
        return DeltaFixture.offer(device, base, "v1.0.0", next, "v1.1.0");
    }

    @Test
    void aOneFileChangeIsInstalledFromTheDelta(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            DeltaFixture.Offered offered = arrange(device, oneFileChanged());

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(VIA_DELTA);
            assertThat(device.server.reportedStatuses()).containsExactly(DOWNLOADING, INSTALLING, COMPLETED);
            StatusReport completed = last(device);
            assertThat(completed.delivery()).isEqualTo(StatusReport.DELTA);
            assertThat(completed.downloadedBytes()).isEqualTo(offered.offer().delta().sizeBytes());
            assertThat(completed.errorMessage()).isNull();
            assertThat(device.server.packageDownloads()).as("no byte of the package").isZero();
            assertThat(device.server.deltaDownloads()).isEqualTo(1);
            assertInstalled(device, "v1.1.0", oneFileChanged());
            assertThat(device.root.manifestSha256("v1.1.0")).as("kept for the next delta")
                    .contains(offered.offer().delta().manifestSha256());
            assertThat(device.root.manifest("v1.0.0")).as("the previous release keeps its own").isRegularFile();
            try (java.util.zip.ZipFile delta = new java.util.zip.ZipFile(offered.delta().toFile())) {
                assertThat(delta.stream().map(java.util.zip.ZipEntry::getName))
                        .as("the unchanged model never travels").noneMatch(name -> name.contains("model.bin"))
                        .anyMatch(name -> name.contains("client.py"));
            }
            assertThat(Files.getAttribute(device.root.release("v1.1.0").resolve("audio/model.bin"), "unix:ino"))
                    .as("the unchanged model is linked from the release it ran")
                    .isEqualTo(Files.getAttribute(device.root.release("v1.0.0").resolve("audio/model.bin"),
                            "unix:ino"));
            assertStagingEmpty(device);
        }
    }

    @Test
    void addedRemovedRenamedFilesAndAModeChangeAreInstalledFromTheDelta(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            arrange(device, reshaped());

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(VIA_DELTA);
            assertThat(last(device).delivery()).isEqualTo(StatusReport.DELTA);
            assertInstalled(device, "v1.1.0", reshaped());
            assertThat(device.root.release("v1.1.0").resolve("old")).as("a directory left empty goes too")
                    .doesNotExist();
        }
    }

    /**
     * A file of the installed release changed on the device (a hand edit, a bad SD card): the assembly finds it,
     * the delta is given up and the package installed, and the report names the file.
     */
    @Test
    void aFileChangedOnTheDeviceIsFoundAndTheFullPackageInstalled(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            DeltaFixture.Offered offered = arrange(device, oneFileChanged());
            tamper(device);

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(Stream.concat(Stream.of("waiting",
                    "downloading-delta", "assembling"), VIA_PACKAGE.stream().skip(1)).toList());
            StatusReport completed = last(device);
            assertThat(completed.status()).isEqualTo(COMPLETED);
            assertThat(completed.delivery()).isEqualTo(StatusReport.FULL);
            assertThat(completed.errorMessage()).startsWith("installed from the full package; the delta was not "
                    + "used: assembling: ").contains("audio/model.bin");
            assertThat(completed.downloadedBytes())
                    .isEqualTo(offered.offer().delta().sizeBytes() + offered.offer().sizeBytes());
            assertInstalled(device, "v1.1.0", oneFileChanged());
            assertStagingEmpty(device);
        }
    }

    @Test
    void aFileChangedOnTheDeviceWithFallbackRefusedFailsTheUpdateAndSaysWhatToDo(@TempDir Path dir)
            throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            arrange(device, oneFileChanged());
            tamper(device);
            device.refuseFullFallback = true;

            device.runToIdle(device.machine());

            StatusReport failed = last(device);
            assertThat(failed.status()).isEqualTo(FAILED);
            assertThat(failed.errorMessage()).contains("audio/model.bin", "set DELTA_FALLBACK=full",
                    "retry after repairing the release");
            assertThat(device.server.packageDownloads()).isZero();
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            assertThat(device.root.release("v1.1.0")).doesNotExist();
            assertThat(device.root.partial("v1.1.0")).doesNotExist();
        }
    }

    /** A file the new release keeps as it is, changed in the installed release after its install. */
    static void tamper(DeviceFixture device) throws IOException {
        Files.writeString(device.root.release("v1.0.0").resolve("audio/model.bin"), "weights ".repeat(4095) + "WEIGHTS ");
    }

    /**
     * What the assembler finds wrong (a file of the installed release changed on the device, a broken delta) gives
     * the delta up: the package is downloaded, and the completed report says why the delta was not used.
     */
    @Test
    void aDeltaTheAssemblerRefusesFallsBackToTheFullPackageAndSaysWhy(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            DeltaFixture.Offered offered = arrange(device, oneFileChanged());
            device.assembler = (delta, current, target, limits, trust, sha) -> {
                throw new InvalidPackageException("audio/model.bin in the installed release does not match the base "
                        + "manifest: the release was changed on the device");
            };

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(Stream.concat(Stream.of("waiting",
                    "downloading-delta", "assembling"), VIA_PACKAGE.stream().skip(1)).toList());
            StatusReport completed = last(device);
            assertThat(completed.status()).isEqualTo(COMPLETED);
            assertThat(completed.delivery()).isEqualTo(StatusReport.FULL);
            assertThat(completed.downloadedBytes()).as("the delta's bytes count too")
                    .isEqualTo(offered.offer().delta().sizeBytes() + offered.offer().sizeBytes());
            assertThat(completed.errorMessage()).isEqualTo("installed from the full package; the delta was not used: "
                    + "assembling: audio/model.bin in the installed release does not match the base manifest: the "
                    + "release was changed on the device");
            assertThat(device.server.packageDownloads()).isEqualTo(1);
            assertInstalled(device, "v1.1.0", oneFileChanged());
            assertThat(device.root.manifestSha256("v1.1.0")).contains(offered.offer().delta().manifestSha256());
            assertStagingEmpty(device);
        }
    }

    @Test
    void withFallbackRefusedAFailedDeltaFailsTheUpdateWithoutDownloadingThePackage(@TempDir Path dir)
            throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            DeltaFixture.Offered offered = arrange(device, oneFileChanged());
            device.refuseFullFallback = true;
            device.assembler = (delta, current, target, limits, trust, sha) -> {
                throw new InvalidPackageException("audio/model.bin in the installed release does not match the base "
                        + "manifest: the release was changed on the device");
            };

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactly("waiting", "downloading-delta", "assembling", "downloading",
                    "failed", "reporting", "done", "idle");
            assertThat(device.server.reportedStatuses()).containsExactly(DOWNLOADING, INSTALLING, FAILED);
            StatusReport failed = last(device);
            assertThat(failed.errorMessage()).startsWith("downloading: the delta could not be used (assembling: "
                    + "audio/model.bin in the installed release does not match").contains("set DELTA_FALLBACK=full",
                    "retry after repairing the release");
            assertThat(failed.delivery()).isEqualTo(StatusReport.DELTA);
            assertThat(failed.downloadedBytes()).isEqualTo(offered.offer().delta().sizeBytes());
            assertThat(device.server.packageDownloads()).as("not a byte of the package").isZero();
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            assertThat(device.root.release("v1.1.0")).doesNotExist();
            assertThat(device.root.manifest("v1.1.0")).doesNotExist();
            assertThat(device.root.manifest("v1.0.0")).isRegularFile();
            assertStagingEmpty(device);
        }
    }

    @Test
    void aDeltaWhoseChecksumDoesNotMatchTheOfferFallsBackToTheFullPackage(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            DeltaOffer named = arrange(device, oneFileChanged()).offer().delta();
            device.server.deltaInOffer(new DeltaOffer(named.baseVersion(), named.baseManifestSha256(),
                    named.manifestSha256(), named.url(), "0".repeat(64), named.sizeBytes()));

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(Stream.concat(Stream.of("waiting",
                    "downloading-delta"), VIA_PACKAGE.stream().skip(1)).toList());
            StatusReport completed = last(device);
            assertThat(completed.delivery()).isEqualTo(StatusReport.FULL);
            assertThat(completed.errorMessage()).contains("downloading-delta: the delta's SHA-256 is ",
                    "the server announced " + "0".repeat(64));
            assertThat(device.server.packageDownloads()).isEqualTo(1);
            assertInstalled(device, "v1.1.0", oneFileChanged());
            assertStagingEmpty(device);
        }
    }

    @Test
    void aDeltaTheServerNoLongerHasFallsBackToTheFullPackage(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            DeltaFixture.Offered offered = arrange(device, oneFileChanged());
            device.server.dropDelta();

            device.runToIdle(device.machine());

            StatusReport completed = last(device);
            assertThat(completed.status()).isEqualTo(COMPLETED);
            assertThat(completed.delivery()).isEqualTo(StatusReport.FULL);
            assertThat(completed.errorMessage()).contains("downloading-delta: ", "404");
            assertThat(completed.downloadedBytes()).isEqualTo(offered.offer().sizeBytes());
            assertInstalled(device, "v1.1.0", oneFileChanged());
        }
    }

    /** A delta the server makes after the device first saw the offer is used if the install has not started. */
    @Test
    void aDeltaNamedWhileTheUpdateWaitsIsUsed(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            DeltaOffer named = arrange(device, oneFileChanged()).offer().delta();
            device.server.deltaInOffer(null);
            device.idle = java.time.Duration.ZERO;
            UpdateMachine machine = device.machine();
            device.tick(machine);
            assertThat(machine.current().name()).isEqualTo("waiting");
            assertThat(machine.current().job().offer().delta()).isNull();

            device.server.deltaInOffer(named);
            device.tick(machine);
            assertThat(machine.current().job().offer().delta()).isEqualTo(named);
            device.idle = java.time.Duration.ofHours(2);
            device.runToIdle(machine);

            assertThat(last(device).delivery()).isEqualTo(StatusReport.DELTA);
            assertThat(device.server.packageDownloads()).isZero();
            assertInstalled(device, "v1.1.0", oneFileChanged());
        }
    }

    /**
     * With publisher keys pinned, the delta's update_metadata.json is the signed one: the offer's signature (over
     * the package's metadata, the same bytes) verifies it before a file is assembled.
     */
    @Test
    void withPublisherKeysTheDeltasManifestIsVerifiedByTheOffersSignature(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            KeyPair key = Ed25519Keys.generate();
            device.pinned = SignedPackageTests.keysOf(key);
            signedOffer(device, key);

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(VIA_DELTA);
            assertThat(last(device).delivery()).isEqualTo(StatusReport.DELTA);
            assertInstalled(device, "v1.1.0", oneFileChanged());
        }
    }

    /**
     * Signed by a key this device does not trust: the assembly refuses the delta, and the package, refused in
     * verifying for the same reason, is not installed either.
     */
    @Test
    void aDeltaSignedByAnUntrustedKeyIsNotAssembled(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.pinned = SignedPackageTests.keysOf(Ed25519Keys.generate());
            signedOffer(device, Ed25519Keys.generate());
            List<String> assembled = new java.util.ArrayList<>();
            Deltas.Assembler real = device.assembler;
            device.assembler = (delta, current, target, limits, trust, sha) -> {
                try {
                    return real.assemble(delta, current, target, limits, trust, sha);
                } finally {
                    assembled.add(Files.exists(target) ? "target left" : "nothing left");
                }
            };

            device.runToIdle(device.machine());

            assertThat(assembled).containsExactly("nothing left");
            assertThat(device.chain).contains("assembling", "verifying", "failed");
            StatusReport failed = last(device);
            assertThat(failed.status()).isEqualTo(FAILED);
            assertThat(failed.errorMessage()).startsWith("verifying: ");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            assertThat(device.root.release("v1.1.0")).doesNotExist();
            assertStagingEmpty(device);
        }
    }

    /** v1.0.0 installed from its package, v1.1.0 (one file changed) offered signed by {@code key}, with its delta. */
    private static void signedOffer(DeviceFixture device, KeyPair key) throws IOException {
        Path base = DeltaFixture.build(device, "v1.0.0", base());
        DeltaFixture.install(device, "v1.0.0", base);
        Path next = DeltaFixture.build(device, "v1.1.0", oneFileChanged());
        device.serve(next, "v1.1.0", PackageSignatures.sign(next, key.getPrivate(), PackageLimits.defaults()), false,
                null);
        Path delta = DeltaFixture.buildDelta(base, next, device.workDir.resolve("delta-signed.zip"));
        device.server.offerDelta(delta, "v1.0.0", DeltaFixture.manifestSha256(base), DeltaFixture.manifestSha256(next));
    }

    @Test
    void withDeltasOffThePackageIsDownloaded(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            DeltaFixture.Offered offered = arrange(device, oneFileChanged());
            device.deltasOn = false;

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(VIA_PACKAGE);
            StatusReport completed = last(device);
            assertThat(completed.delivery()).isEqualTo(StatusReport.FULL);
            assertThat(completed.downloadedBytes()).isEqualTo(offered.offer().sizeBytes());
            assertThat(completed.errorMessage()).as("the operator's choice, not a fallback").isNull();
            assertThat(device.server.deltaDownloads()).isZero();
            assertInstalled(device, "v1.1.0", oneFileChanged());
        }
    }

    /** An offer without a delta (a base the server does not know, a server before deltas): the package, as today. */
    @Test
    void anOfferWithoutADeltaIsInstalledFromThePackageAndItsMetadataKept(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            DeltaFixture.Offered offered = arrange(device, oneFileChanged());
            device.server.deltaInOffer(null);
            device.refuseFullFallback = true;

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(VIA_PACKAGE);
            StatusReport completed = last(device);
            assertThat(completed.delivery()).isEqualTo(StatusReport.FULL);
            assertThat(completed.downloadedBytes()).isEqualTo(offered.offer().sizeBytes());
            assertThat(completed.errorMessage()).isNull();
            assertInstalled(device, "v1.1.0", oneFileChanged());
            assertThat(device.root.manifestSha256("v1.1.0")).as("kept from the package, for the next delta")
                    .contains(DeltaFixture.manifestSha256(device.workDir.resolve("delta-update_v1.1.0.zip")));
        }
    }

    /** The fixture's v1.0.0 was set up by hand, as a release installed before deltas: no metadata beside it. */
    @Test
    void aReleaseInstalledBeforeDeltasGetsTheFullPackage(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            Path base = DeltaFixture.build(device, "v1.0.0", base());
            Path next = DeltaFixture.build(device, "v1.1.0", oneFileChanged());
            DeltaFixture.offer(device, base, "v1.0.0", next, "v1.1.0");

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(VIA_PACKAGE);
            StatusReport completed = last(device);
            assertThat(completed.delivery()).isEqualTo(StatusReport.FULL);
            assertThat(completed.errorMessage()).contains("release v1.0.0 has no v1.0.0.update_metadata.json beside it");
            assertThat(device.server.deltaDownloads()).isZero();
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }

    @Test
    void aReleaseFromAnotherPackageOfTheSameVersionGetsTheFullPackage(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            arrange(device, oneFileChanged());
            Map<String, String> republished = base();
            republished.put("client.py", "print('javia v1.0.0, published again')\n");
            DeltaFixture.install(device, "v1.0.0", DeltaFixture.build(device, "v1.0.0", republished));

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(VIA_PACKAGE);
            assertThat(last(device).errorMessage()).contains("release v1.0.0 was installed from a package whose "
                    + "update_metadata.json has SHA-256 ", "the delta's base has ");
            assertThat(device.server.deltaDownloads()).isZero();
            assertInstalled(device, "v1.1.0", oneFileChanged());
        }
    }

    /** With the fallback refused, a delta that does not fit fails the update before anything is downloaded. */
    @Test
    void withFallbackRefusedADeltaThatDoesNotFitFailsBeforeAnyDownload(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            Path base = DeltaFixture.build(device, "v1.0.0", base());
            Path next = DeltaFixture.build(device, "v1.1.0", oneFileChanged());
            DeltaFixture.offer(device, base, "v1.0.0", next, "v1.1.0");
            device.refuseFullFallback = true;

            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactly("waiting", "downloading", "failed", "reporting", "done", "idle");
            StatusReport failed = last(device);
            assertThat(device.server.reportedStatuses()).containsExactly(FAILED);
            assertThat(failed.errorMessage()).contains("release v1.0.0 has no v1.0.0.update_metadata.json",
                    "set DELTA_FALLBACK=full");
            assertThat(failed.downloadedBytes()).isZero();
            assertThat(device.server.packageDownloads() + device.server.deltaDownloads()).isZero();
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
        }
    }

    /** Every file of the new release is checked before the switch: the switch sees the target's files only. */
    @Test
    void everyFileIsVerifiedBeforeTheSwitch(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            arrange(device, reshaped());
            Map<String, String> atSwitch = new LinkedHashMap<>();
            device.afterSave = name -> {
                if (name.equals("switching")) {
                    try (Stream<Path> files = Files.walk(device.root.release("v1.1.0"))) {
                        files.filter(Files::isRegularFile).forEach(file -> atSwitch.put(device.root.release("v1.1.0")
                                .relativize(file).toString(), "seen"));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            };

            device.runToIdle(device.machine());

            Map<String, String> expected = reshaped();
            assertThat(atSwitch.keySet()).containsExactlyInAnyOrderElementsOf(Stream.concat(expected.keySet().stream()
                    .map(DeltaUpdateTests::path), Stream.of("VERSION")).toList());
        }
    }

    static StatusReport last(DeviceFixture device) {
        List<StatusReport> reports = device.server.reports();
        return reports.get(reports.size() - 1);
    }

    static String path(String key) {
        return key.endsWith("*") ? key.substring(0, key.length() - 1) : key;
    }

    /** current names {@code version}, whose files are exactly {@code files} and VERSION, with their modes. */
    static void assertInstalled(DeviceFixture device, String version, Map<String, String> files) throws IOException {
        assertThat(device.currentTarget()).isEqualTo("releases/" + version);
        assertThat(device.versionFile()).isEqualTo(version);
        Path release = device.root.release(version);
        List<String> present;
        try (Stream<Path> walk = Files.walk(release)) {
            present = walk.filter(Files::isRegularFile).map(p -> release.relativize(p).toString()).toList();
        }
        assertThat(present).containsExactlyInAnyOrderElementsOf(Stream.concat(files.keySet().stream()
                .map(DeltaUpdateTests::path), Stream.of("VERSION")).toList());
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path on = release.resolve(path(file.getKey()));
            assertThat(on).hasContent(file.getValue());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(on))).as(file.getKey())
                    .isEqualTo(file.getKey().endsWith("*") ? "rwxr-xr-x" : "rw-r--r--");
        }
        assertThat(Files.readString(release.resolve("VERSION")).strip()).isEqualTo(version);
    }

    static void assertStagingEmpty(DeviceFixture device) {
        assertThat(device.stateDir.resolve("staging")).satisfiesAnyOf(
                staging -> assertThat(staging).doesNotExist(), staging -> assertThat(staging).isEmptyDirectory());
    }
}
