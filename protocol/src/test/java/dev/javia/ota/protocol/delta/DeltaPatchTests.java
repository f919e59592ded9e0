package dev.javia.ota.protocol.delta;

import dev.javia.ota.protocol.pkg.InvalidPackageException;
import dev.javia.ota.protocol.pkg.PackageTrust;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.javia.ota.protocol.delta.DeltaReleases.LIMITS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Patches: hostile ones refused, and the rule that chooses between a patch and the whole file, with its figures. */
class DeltaPatchTests {

    private static final String ENTRY = "patch/models/big.bin.zst";

    @TempDir
    Path dir;
    byte[] model;
    Path installed;
    Map<String, byte[]> entries;

    @BeforeEach
    void deltaWithAPatch() throws IOException {
        model = DeltaReleases.random(5 * 1024 * 1024 + 123, 41);
        DeltaReleases.Tree base = DeltaReleases.sample().put("models/big.bin", model);
        Path baseZip = base.build(dir, "v1.0.0");
        Path targetZip = base.copy().put("models/big.bin", DeltaReleases.changed(model, 2, 500, 42))
                .build(dir, "v1.1.0");
        installed = DeltaReleases.install(baseZip, dir.resolve("releases/v1.0.0"));
        Path delta = dir.resolve("delta.zip");
        assertThat(DeltaBuilder.build(baseZip, targetZip, delta, LIMITS).patched()).isEqualTo(1);
        entries = DeltaReleases.entries(delta);
        assertThat(entries).containsKey(ENTRY);
    }

    private byte[] patchTo(byte[] content) throws IOException {
        Path old = Files.write(dir.resolve("old.bin"), model);
        Path updated = Files.write(dir.resolve("new.bin"), content);
        ByteArrayOutputStream patch = new ByteArrayOutputStream();
        try (FileChannel o = FileChannel.open(old, StandardOpenOption.READ);
             FileChannel n = FileChannel.open(updated, StandardOpenOption.READ)) {
            ZstdPatch.create(o, n, patch);
        }
        return patch.toByteArray();
    }

    private void refused(byte[] patch, String reason) throws IOException {
        Map<String, byte[]> hostile = new LinkedHashMap<>(entries);
        hostile.put(ENTRY, patch);
        Path delta = DeltaReleases.write(dir.resolve("hostile.zip"), hostile);
        Path target = dir.resolve("releases/v1.1.0");
        assertThatThrownBy(() -> DeltaAssembler.assemble(delta, installed, target, LIMITS, PackageTrust.none(), null))
                .isExactlyInstanceOf(InvalidPackageException.class)
                .hasMessageContaining(reason)
                .hasMessageContaining("install the full package");
        assertThat(target).doesNotExist();
    }

    @Test
    void aPatchWhoseOutputIsNotTheManifestsFileIsRefused() throws IOException {
        refused(patchTo(DeltaReleases.changed(model, 2, 500, 43)), "after assembly, 'models/big.bin' has "
                + model.length + " bytes and sha256");
    }

    @Test
    void aPatchThatMakesMoreThanTheManifestsSizeIsRefusedAsItInflates() throws IOException {
        byte[] longer = java.util.Arrays.copyOf(model, model.length + 4 * 1024 * 1024);
        refused(patchTo(longer), "makes more than");
    }

    @Test
    void aPatchCutShortDamagedOrWithDataAfterItIsRefused() throws IOException {
        byte[] patch = entries.get(ENTRY);
        refused(java.util.Arrays.copyOf(patch, patch.length / 2), "ends in the middle of the chunk");
        byte[] damaged = patch.clone();
        damaged[0] ^= 0x55;
        refused(damaged, "zstd:");
        byte[] longer = java.util.Arrays.copyOf(patch, patch.length + patch.length);
        System.arraycopy(patch, 0, longer, patch.length, patch.length);
        refused(longer, "data after the 2 chunks");
    }

    @Test
    void aPatchIsKeptWhenClearlySmallerThanTheFileDeflated() throws IOException {
        // a 20 MB binary model with three changes of 1 KB
        byte[] big = DeltaReleases.random(20 * 1024 * 1024, 51);
        Figures modelFigures = figures(big, DeltaReleases.changed(big, 3, 1024, 52));
        // a .py file with one line changed
        String code = DeltaReleases.python(150, 53);
        Figures pyFigures = figures(code.getBytes(), code.replace("line 70\n", "line 70 and more\n").getBytes());
        // a file wholly new at the same path
        Figures newFigures = figures(DeltaReleases.python(300, 54).getBytes(), DeltaReleases.python(300, 55)
                .getBytes());
        System.out.println("patch rule: model " + modelFigures + "; py " + pyFigures + "; new " + newFigures);

        assertThat(modelFigures.patch).isLessThan(8 * 1024);
        assertThat(modelFigures.kept).isTrue();
        assertThat(pyFigures.patch).isLessThan(pyFigures.deflated / 10);
        assertThat(pyFigures.kept).isTrue();
        assertThat(newFigures.kept).isFalse();
    }

    private record Figures(long size, long patch, long deflated, boolean kept) {
        @Override
        public String toString() {
            return size + " bytes, patch " + patch + ", deflated " + deflated + (kept ? ": patch" : ": whole");
        }
    }

    private Figures figures(byte[] old, byte[] updated) throws IOException {
        Path o = Files.write(dir.resolve("o.bin"), old);
        Path n = Files.write(dir.resolve("n.bin"), updated);
        long patch;
        try (FileChannel oc = FileChannel.open(o, StandardOpenOption.READ);
             FileChannel nc = FileChannel.open(n, StandardOpenOption.READ)) {
            patch = ZstdPatch.create(oc, nc, java.io.OutputStream.nullOutputStream());
        }
        long deflated = DeltaBuilder.deflatedSize(n);
        return new Figures(updated.length, patch, deflated, DeltaBuilder.keepPatch(patch, updated.length,
                () -> deflated));
    }
}
