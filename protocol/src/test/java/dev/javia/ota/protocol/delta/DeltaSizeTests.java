package dev.javia.ota.protocol.delta;

import dev.javia.ota.protocol.pkg.PackageTrust;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static dev.javia.ota.protocol.delta.DeltaReleases.LIMITS;
import static org.assertj.core.api.Assertions.assertThat;

/** Issue 18's "done when": a one-file change in a 50 MB release sends a few kilobytes. */
class DeltaSizeTests {

    @TempDir
    Path dir;

    /** 300 Python files, 8 libraries of 4 MB and a model of 20 MB: about 53 MB, like a voice assistant. */
    static DeltaReleases.Tree fiftyMegabytes() {
        DeltaReleases.Tree tree = new DeltaReleases.Tree();
        for (int i = 0; i < 300; i++) {
            tree.put("app/module" + (i / 30) + "/file" + i + ".py", DeltaReleases.python(120, i));
        }
        for (int i = 0; i < 8; i++) {
            tree.put("lib/native" + i + ".so", DeltaReleases.random(4 * 1024 * 1024, 1000 + i));
        }
        return tree.put("models/model.bin", DeltaReleases.random(20 * 1024 * 1024, 2000))
                .put("run.sh", "#!/bin/sh\nexec python3 app/module0/file0.py\n").executable("run.sh", true);
    }

    @Test
    void aOneFileChangeInAFiftyMegabyteReleaseIsAFewKilobytes() throws IOException {
        DeltaReleases.Tree base = fiftyMegabytes();
        String file = "app/module3/file42.py";
        DeltaReleases.Tree target = base.copy().put(file, DeltaReleases.python(120, 42).replace("line 60\n",
                "line 60 changed\n"));
        Path baseZip = base.build(dir, "v1.0.0");
        Path targetZip = target.build(dir, "v1.1.0");
        DeltaBuilder.Result result = DeltaBuilder.build(baseZip, targetZip, dir.resolve("delta.zip"), LIMITS);
        System.out.println("50 MB release, one file changed: delta " + result.sizeBytes() + " bytes, full "
                + result.fullSizeBytes() + " bytes");

        assertThat(result.fullSizeBytes()).isGreaterThan(50_000_000L);
        assertThat(result.sizeBytes()).isLessThan(48 * 1024);
        assertThat(result.patched() + result.whole()).isEqualTo(2);
        Path installed = DeltaReleases.install(baseZip, dir.resolve("releases/v1.0.0"));
        DeltaAssembler.assemble(dir.resolve("delta.zip"), installed, dir.resolve("releases/v1.1.0"), LIMITS,
                PackageTrust.none(), result.targetManifestSha256());
        assertThat(DeltaReleases.describe(dir.resolve("releases/v1.1.0")))
                .isEqualTo(DeltaReleases.describe(DeltaReleases.install(targetZip, dir.resolve("extracted"))));
    }
}
