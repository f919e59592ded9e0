package dev.javia.ota.protocol.delta;

import dev.javia.ota.protocol.pkg.InvalidPackageException;
import dev.javia.ota.protocol.pkg.PackageJson;
import dev.javia.ota.protocol.pkg.PackageSignatures;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.UpdateMetadata;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.PublisherSignature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static dev.javia.ota.protocol.delta.DeltaReleases.LIMITS;
import static dev.javia.ota.protocol.delta.DeltaReleases.describe;
import static dev.javia.ota.protocol.delta.DeltaReleases.install;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeltaAssemblerTests {

    @TempDir
    Path dir;

    /** Base v1.0.0 (installed) and target v1.1.0, the delta between them, and its delta.json. */
    private record Case(Path base, Path target, Path installed, Path delta, DeltaBuilder.Result result,
                        DeltaManifest manifest) {

        DeltaFile file(String path) {
            return manifest.files().stream().filter(f -> f.path().equals(path)).findFirst().orElse(null);
        }
    }

    private Case delta(DeltaReleases.Tree base, DeltaReleases.Tree target) throws IOException {
        Path baseZip = base.build(dir, "v1.0.0");
        Path targetZip = target.build(dir, "v1.1.0");
        Path installed = install(baseZip, dir.resolve("releases/v1.0.0"));
        Path delta = dir.resolve("delta.zip");
        DeltaBuilder.Result result = DeltaBuilder.build(baseZip, targetZip, delta, LIMITS);
        return new Case(baseZip, targetZip, installed, delta, result, manifestOf(delta));
    }

    static DeltaManifest manifestOf(Path delta) throws IOException {
        try (ZipFile zip = new ZipFile(delta.toFile());
             InputStream json = zip.getInputStream(zip.getEntry(DeltaLayout.DELTA_JSON))) {
            return PackageJson.mapper().readValue(json, DeltaManifest.class);
        }
    }

    static List<String> entries(Path delta) throws IOException {
        try (ZipFile zip = new ZipFile(delta.toFile())) {
            List<String> names = new ArrayList<>();
            Collections.list(zip.entries()).forEach(e -> names.add(e.getName()));
            return names;
        }
    }

    /** Assembles the case's delta onto its installed release and checks the tree is the target's, extracted. */
    private Path assembleAndCompare(Case c) throws IOException {
        Path assembled = dir.resolve("releases/v1.1.0");
        UpdateMetadata metadata = DeltaAssembler.assemble(c.delta(), c.installed(), assembled, LIMITS,
                PackageTrust.none(), c.result().targetManifestSha256());
        assertThat(metadata.version()).isEqualTo("v1.1.0");
        assertThat(describe(assembled)).isEqualTo(describe(install(c.target(), dir.resolve("extracted"))));
        return assembled;
    }

    @Test
    void oneChangedFileTravelsAloneAndTheReleaseIsTheTargets() throws IOException {
        DeltaReleases.Tree base = DeltaReleases.sample();
        Case c = delta(base, base.copy().put("client.py", DeltaReleases.python(200, 1).replace("line 7\n",
                "line 7 changed\n")));

        assertThat(c.manifest().files()).extracting(DeltaFile::path).containsExactly("VERSION", "client.py");
        assertThat(c.file("client.py").how()).isEqualTo(DeltaFile.PATCH);
        assertThat(c.result().patched() + c.result().whole()).isEqualTo(2);
        assertThat(c.result().baseManifestSha256()).isEqualTo(DeltaAssembler.manifestSha256(c.base()));
        assertThat(c.result().targetManifestSha256()).isEqualTo(DeltaAssembler.manifestSha256(c.target()));
        assertThat(c.result().fullSizeBytes()).isEqualTo(Files.size(c.target()));
        assertThat(c.result().sizeBytes()).isEqualTo(Files.size(c.delta()));
        assertThat(c.result().sha256()).isEqualTo(dev.javia.ota.protocol.pkg.Sha256.of(c.delta()));
        assertThat(entries(c.delta())).doesNotContain("whole/models/wake.bin", "whole/audio/codec.py");
        Path assembled = assembleAndCompare(c);
        // unchanged files are hard links to the installed ones
        assertThat(Files.isSameFile(assembled.resolve("models/wake.bin"), c.installed().resolve("models/wake.bin")))
                .isTrue();
        assertThat(Files.isSameFile(assembled.resolve("client.py"), c.installed().resolve("client.py"))).isFalse();
    }

    @Test
    void addedAndRemovedFiles() throws IOException {
        DeltaReleases.Tree base = DeltaReleases.sample();
        Case c = delta(base, base.copy().remove("audio/player.py").put("audio/mixer/new.py",
                DeltaReleases.python(40, 9)));

        assertThat(c.manifest().removed()).containsExactly("audio/player.py");
        assertThat(c.file("audio/mixer/new.py").how()).isEqualTo(DeltaFile.WHOLE);
        assertThat(c.result().removed()).isEqualTo(1);
        Path assembled = assembleAndCompare(c);
        assertThat(assembled.resolve("audio/player.py")).doesNotExist();
    }

    @Test
    void aModeChangeTravelsWithoutContentAndIsACopyNotAChmodOfTheInstalledFile() throws IOException {
        DeltaReleases.Tree base = DeltaReleases.sample();
        Case c = delta(base, base.copy().executable("audio/codec.py", true).executable("run.sh", false));

        assertThat(c.file("audio/codec.py")).isEqualTo(new DeltaFile("audio/codec.py", DeltaFile.MODE,
                "audio/codec.py", c.file("audio/codec.py").size(), c.file("audio/codec.py").sha256(), "0755"));
        assertThat(c.file("run.sh").how()).isEqualTo(DeltaFile.MODE);
        assertThat(entries(c.delta())).noneMatch(name -> name.contains("codec") || name.contains("run.sh"));
        Path assembled = assembleAndCompare(c);
        assertThat(Files.isSameFile(assembled.resolve("run.sh"), c.installed().resolve("run.sh"))).isFalse();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(c.installed().resolve("run.sh"))))
                .isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                c.installed().resolve("audio/codec.py")))).isEqualTo("rw-r--r--");
    }

    @Test
    void aRenamedFileTravelsAsACopyWithoutContent() throws IOException {
        DeltaReleases.Tree base = DeltaReleases.sample();
        byte[] model = base.files.get("models/wake.bin");
        Case c = delta(base, base.copy().remove("models/wake.bin").put("models/wake-en.bin", model));

        assertThat(c.file("models/wake-en.bin").how()).isEqualTo(DeltaFile.COPY);
        assertThat(c.file("models/wake-en.bin").from()).isEqualTo("models/wake.bin");
        assertThat(c.manifest().removed()).containsExactly("models/wake.bin");
        assertThat(entries(c.delta())).noneMatch(name -> name.contains("wake"));
        assertThat(c.result().copied()).isEqualTo(1);
        assertThat(c.result().sizeBytes()).isLessThan(8 * 1024);
        assembleAndCompare(c);
    }

    @Test
    void aLargeFileWithASmallChangeTravelsAsAPatchFarSmallerThanTheFile() throws IOException {
        byte[] model = DeltaReleases.random(20 * 1024 * 1024, 11);
        DeltaReleases.Tree base = DeltaReleases.sample().put("models/big.bin", model);
        Case c = delta(base, base.copy().put("models/big.bin", DeltaReleases.changed(model, 3, 1024, 12)));

        assertThat(c.file("models/big.bin").how()).isEqualTo(DeltaFile.PATCH);
        try (ZipFile zip = new ZipFile(c.delta().toFile())) {
            ZipEntry patch = zip.getEntry("patch/models/big.bin.zst");
            assertThat(patch.getCompressedSize()).isLessThan(model.length / 1000);
        }
        assertThat(c.result().sizeBytes()).isLessThan(c.result().fullSizeBytes() / 100);
        assembleAndCompare(c);
    }

    @Test
    void aTamperedUnchangedFileOnTheDeviceIsAMismatchThatNamesItAndLeavesNothing() throws IOException {
        DeltaReleases.Tree base = DeltaReleases.sample();
        Case c = delta(base, base.copy().put("client.py", "print('v1.1.0')\n"));
        byte[] model = Files.readAllBytes(c.installed().resolve("models/wake.bin"));
        model[1000] ^= 1;
        Files.write(c.installed().resolve("models/wake.bin"), model);
        Path target = dir.resolve("releases/v1.1.0");

        assertThatThrownBy(() -> DeltaAssembler.assemble(c.delta(), c.installed(), target, LIMITS,
                PackageTrust.none(), null))
                .isInstanceOf(DeltaMismatchException.class)
                .hasMessageContaining("models/wake.bin in the installed release does not match the base manifest")
                .hasMessageContaining("changed on the device");
        assertThat(target).doesNotExist();
    }

    @Test
    void aTamperedPatchSourceOrAMissingFileIsAMismatch() throws IOException {
        byte[] model = DeltaReleases.random(1024 * 1024, 21);
        DeltaReleases.Tree base = DeltaReleases.sample().put("models/big.bin", model);
        Case c = delta(base, base.copy().put("models/big.bin", DeltaReleases.changed(model, 1, 100, 22)));
        assertThat(c.file("models/big.bin").how()).isEqualTo(DeltaFile.PATCH);
        Path target = dir.resolve("releases/v1.1.0");
        Files.write(c.installed().resolve("models/big.bin"), DeltaReleases.changed(model, 1, 1, 23));

        assertThatThrownBy(() -> DeltaAssembler.assemble(c.delta(), c.installed(), target, LIMITS,
                PackageTrust.none(), null))
                .isInstanceOf(DeltaMismatchException.class)
                .hasMessageStartingWith("models/big.bin in the installed release does not match the base manifest");
        assertThat(target).doesNotExist();

        Files.delete(c.installed().resolve("audio/codec.py"));
        Files.write(c.installed().resolve("models/big.bin"), model);
        assertThatThrownBy(() -> DeltaAssembler.assemble(c.delta(), c.installed(), target, LIMITS,
                PackageTrust.none(), null))
                .isInstanceOf(DeltaMismatchException.class)
                .hasMessageStartingWith("audio/codec.py in the installed release is missing");
        assertThat(target).doesNotExist();
    }

    @Test
    void aDeltaOntoAnotherReleaseThanItsBaseIsAMismatch() throws IOException {
        DeltaReleases.Tree base = DeltaReleases.sample();
        Case c = delta(base, base.copy().put("client.py", "print('v1.1.0')\n"));
        Path other = install(base.copy().put("audio/codec.py", "CODEC = 'pcm'\n").build(dir.resolve("other"),
                "v0.9.0"), dir.resolve("releases/v0.9.0"));

        assertThatThrownBy(() -> DeltaAssembler.assemble(c.delta(), other, dir.resolve("releases/v1.1.0"), LIMITS,
                PackageTrust.none(), null))
                .isInstanceOf(DeltaMismatchException.class)
                .hasMessageContaining("audio/codec.py in the installed release does not match the base manifest");
    }

    @Test
    void aDeltaForAnotherTargetThanTheOfferIsRefused() throws IOException {
        DeltaReleases.Tree base = DeltaReleases.sample();
        Case c = delta(base, base.copy().put("client.py", "print('v1.1.0')\n"));

        assertThatThrownBy(() -> DeltaAssembler.assemble(c.delta(), c.installed(), dir.resolve("releases/v1.1.0"),
                LIMITS, PackageTrust.none(), c.result().baseManifestSha256()))
                .isExactlyInstanceOf(InvalidPackageException.class)
                .hasMessageContaining("not the " + c.result().baseManifestSha256() + " of the update offered")
                .hasMessageContaining("install the full package");
        assertThat(dir.resolve("releases/v1.1.0")).doesNotExist();
    }

    @Test
    void theTargetsSignatureIsVerifiedWhenKeysAreGiven() throws IOException {
        DeltaReleases.Tree base = DeltaReleases.sample();
        Case c = delta(base, base.copy().put("client.py", "print('v1.1.0')\n"));
        KeyPair publisher = Ed25519Keys.generate();
        PublisherKeys keys = PublisherKeys.parse(List.of(Ed25519Keys.text(publisher.getPublic())));
        PublisherSignature signature = PackageSignatures.sign(c.target(), publisher.getPrivate(), LIMITS);
        PublisherSignature forBase = PackageSignatures.sign(c.base(), publisher.getPrivate(), LIMITS);

        assertThatThrownBy(() -> DeltaAssembler.assemble(c.delta(), c.installed(), dir.resolve("a"), LIMITS,
                PackageTrust.of(keys, forBase, "package v1.1.0"), null))
                .isInstanceOf(InvalidPackageException.class).hasMessageContaining("package v1.1.0");
        assertThatThrownBy(() -> DeltaAssembler.assemble(c.delta(), c.installed(), dir.resolve("b"), LIMITS,
                PackageTrust.of(keys, null, "package v1.1.0"), null))
                .isInstanceOf(InvalidPackageException.class).hasMessageContaining("package v1.1.0");
        assertThat(dir.resolve("a")).doesNotExist();
        assertThat(dir.resolve("b")).doesNotExist();
        assertThat(DeltaAssembler.assemble(c.delta(), c.installed(), dir.resolve("c"), LIMITS,
                PackageTrust.of(keys, signature, "package v1.1.0"), null).version()).isEqualTo("v1.1.0");
    }

    @Test
    void anExistingTargetDirectoryIsRefusedAndLeftAlone() throws IOException {
        DeltaReleases.Tree base = DeltaReleases.sample();
        Case c = delta(base, base.copy().put("client.py", "print('v1.1.0')\n"));
        Path target = Files.createDirectories(dir.resolve("releases/v1.1.0"));
        Files.writeString(target.resolve("left.txt"), "from before");

        assertThatThrownBy(() -> DeltaAssembler.assemble(c.delta(), c.installed(), target, LIMITS,
                PackageTrust.none(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exists");
        assertThat(describe(target)).containsOnlyKeys("left.txt");
    }

    @Test
    void withoutZstdChangedFilesTravelWholeAndAPatchIsRefusedWithAReason() throws IOException {
        byte[] model = DeltaReleases.random(1024 * 1024, 31);
        DeltaReleases.Tree base = DeltaReleases.sample().put("models/big.bin", model);
        DeltaReleases.Tree target = base.copy().put("models/big.bin", DeltaReleases.changed(model, 1, 100, 32));
        Case withPatch = delta(base, target);
        assertThat(withPatch.result().patched()).isEqualTo(1);
        System.setProperty(ZstdPatch.DISABLE_PROPERTY, "true");
        try {
            Path whole = dir.resolve("whole.zip");
            DeltaBuilder.Result result = DeltaBuilder.build(withPatch.base(), withPatch.target(), whole, LIMITS);
            assertThat(result.patched()).isZero();
            assertThat(manifestOf(whole).files()).allMatch(f -> !f.how().equals(DeltaFile.PATCH));

            assertThatThrownBy(() -> DeltaAssembler.assemble(withPatch.delta(), withPatch.installed(),
                    dir.resolve("releases/v1.1.0"), LIMITS, PackageTrust.none(), null))
                    .isExactlyInstanceOf(InvalidPackageException.class)
                    .hasMessageContaining("has 1 patches, which this machine cannot apply")
                    .hasMessageContaining("install the full package");
            assertThat(dir.resolve("releases/v1.1.0")).doesNotExist();
            DeltaAssembler.assemble(whole, withPatch.installed(), dir.resolve("releases/v1.1.0"), LIMITS,
                    PackageTrust.none(), null);
            assertThat(describe(dir.resolve("releases/v1.1.0")))
                    .isEqualTo(describe(install(withPatch.target(), dir.resolve("extracted"))));
        } finally {
            System.clearProperty(ZstdPatch.DISABLE_PROPERTY);
        }
    }

    @Test
    void theSameRelease() throws IOException {
        DeltaReleases.Tree base = DeltaReleases.sample();
        Case c = delta(base, base.copy());
        assertThat(c.manifest().files()).extracting(DeltaFile::path).containsExactly("VERSION");
        assertThat(Map.of("removed", c.manifest().removed())).isEqualTo(Map.of("removed", List.of()));
        assembleAndCompare(c);
    }
}
