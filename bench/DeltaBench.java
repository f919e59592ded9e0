import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.delta.DeltaAssembler;
import dev.javia.ota.protocol.delta.DeltaBuilder;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.PackageExtractor;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.Version;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * What delta_bench.sh needs from Java, run as a single source file on the protocol module's classes. Inputs are
 * generated from fixed seeds: every run measures the same bytes.
 *
 * <pre>
 * size WORK                     a 55 MB release (300 .py, 8 libraries of 4 MB, a 20 MB model), one .py line changed:
 *                               prints "delta BYTES full BYTES"
 * bases WORK                    a 256 MB package and 5 older ones; prints "base VERSION delta BYTES whole W patched P
 *                               copied C seconds S" per base and "total_seconds S" for the 5 deltas, built one after
 *                               the other
 * prepare WORK                  a release with a 100 MB model and the delta to one with 3 KB of it changed; installs
 *                               the base into WORK/releases/v1.0.0
 * apply WORK                    assembles WORK/delta.zip onto WORK/releases/v1.0.0; prints "hwm_kb KB" (VmHWM)
 * idle                          starts, reads nothing, prints "hwm_kb KB": the JVM's own baseline with the same flags
 * </pre>
 */
public class DeltaBench {

    private static final PackageLimits LIMITS = PackageLimits.defaults();
    private static final int MB = 1024 * 1024;

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "size" -> size(Path.of(args[1]));
            case "bases" -> bases(Path.of(args[1]));
            case "prepare" -> prepare(Path.of(args[1]));
            case "apply" -> apply(Path.of(args[1]));
            case "idle" -> System.out.println("hwm_kb " + hwmKb());
            default -> throw new IllegalArgumentException("usage: DeltaBench size|bases|prepare|apply WORK | idle");
        }
    }

    private static void size(Path work) throws IOException {
        Map<String, byte[]> base = new TreeMap<>();
        for (int i = 0; i < 300; i++) {
            base.put("app/module" + (i / 30) + "/file" + i + ".py", python(120, i));
        }
        for (int i = 0; i < 8; i++) {
            base.put("lib/native" + i + ".so", random(4 * MB, 1000 + i));
        }
        base.put("models/model.bin", random(20 * MB, 2000));
        Map<String, byte[]> target = new TreeMap<>(base);
        target.put("app/module3/file42.py", new String(python(120, 42), StandardCharsets.UTF_8)
                .replace("line 60\n", "line 60 changed\n").getBytes(StandardCharsets.UTF_8));
        DeltaBuilder.Result result = DeltaBuilder.build(build(work, "v1.0.0", base), build(work, "v1.1.0", target),
                work.resolve("delta.zip"), LIMITS);
        System.out.println("delta " + result.sizeBytes() + " full " + result.fullSizeBytes());
    }

    /** 256 MB: a 128 MB model, 24 libraries of 4 MB, 10 assets of 3 MB, 500 .py files. */
    private static Map<String, byte[]> big() {
        Map<String, byte[]> files = new TreeMap<>();
        files.put("models/model.bin", random(128 * MB, 1));
        for (int i = 0; i < 24; i++) {
            files.put("lib/native" + i + ".so", random(4 * MB, 100 + i));
        }
        for (int i = 0; i < 10; i++) {
            files.put("assets/sound" + i + ".wav", random(3 * MB, 200 + i));
        }
        for (int i = 0; i < 500; i++) {
            files.put("app/m" + (i / 50) + "/f" + i + ".py", python(150, 300 + i));
        }
        return files;
    }

    /**
     * Five bases a fleet runs, each older by one release: v1.4.0 differs from the target in 3 .py files, v1.3.0 in
     * 6 and one library patched, v1.2.0 in 9 and an asset added since, v1.1.0 in 12 and a renamed library, v1.0.0
     * in 15 and the 128 MB model with 3 KB changed.
     */
    private static void bases(Path work) throws IOException {
        Map<String, byte[]> target = big();
        Path targetZip = build(work, "v2.0.0", target);
        long total = 0;
        for (int k = 0; k < 5; k++) {
            Map<String, byte[]> base = new TreeMap<>(target);
            int changes = 3 * (k + 1);
            for (int i = 0; i < changes; i++) {
                base.put("app/m" + i + "/f" + (i * 50) + ".py", python(150, 9000 + 100 * k + i));
            }
            if (k >= 1) {
                base.put("lib/native3.so", changed(target.get("lib/native3.so"), 2, 512, 40 + k));
            }
            if (k >= 2) {
                base.remove("assets/sound9.wav");
            }
            if (k >= 3) {
                base.put("lib/old-name.so", base.remove("lib/native7.so"));
            }
            if (k >= 4) {
                base.put("models/model.bin", changed(target.get("models/model.bin"), 3, 1024, 50));
            }
            String version = "v1." + (4 - k) + ".0";
            Path baseZip = build(work, version, base);
            long start = System.nanoTime();
            DeltaBuilder.Result result = DeltaBuilder.build(baseZip, targetZip, work.resolve("delta-" + version
                    + ".zip"), LIMITS);
            long nanos = System.nanoTime() - start;
            total += nanos;
            System.out.printf("base %s delta %d whole %d patched %d copied %d seconds %.2f full %d%n", version,
                    result.sizeBytes(), result.whole(), result.patched(), result.copied(), nanos / 1e9,
                    result.fullSizeBytes());
            Files.delete(baseZip);
        }
        System.out.printf("total_seconds %.2f%n", total / 1e9);
    }

    private static void prepare(Path work) throws IOException {
        Map<String, byte[]> base = new TreeMap<>();
        base.put("models/model.bin", random(100 * MB, 7));
        for (int i = 0; i < 50; i++) {
            base.put("app/f" + i + ".py", python(100, 700 + i));
        }
        Map<String, byte[]> target = new TreeMap<>(base);
        target.put("models/model.bin", changed(base.get("models/model.bin"), 3, 1024, 8));
        Path baseZip = build(work, "v1.0.0", base);
        DeltaBuilder.Result result = DeltaBuilder.build(baseZip, build(work, "v1.1.0", target),
                work.resolve("delta.zip"), LIMITS);
        PackageExtractor.extract(baseZip, work.resolve("releases/v1.0.0"), LIMITS);
        System.out.println("delta " + result.sizeBytes() + " patched " + result.patched());
    }

    private static void apply(Path work) throws IOException {
        long start = System.nanoTime();
        DeltaAssembler.assemble(work.resolve("delta.zip"), work.resolve("releases/v1.0.0"),
                work.resolve("releases/v1.1.0-" + ProcessHandle.current().pid()), LIMITS, PackageTrust.none(), null);
        System.out.printf("seconds %.2f%n", (System.nanoTime() - start) / 1e9);
        System.out.println("hwm_kb " + hwmKb());
    }

    private static long hwmKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static Path build(Path work, String version, Map<String, byte[]> files) throws IOException {
        Path source = work.resolve("source-" + version);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Path path = source.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.write(path, file.getValue());
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r--r--"));
        }
        Path zip = work.resolve("update_" + version + ".zip");
        PackageBuilder.buildFile(source, Version.parse(version), UpdateType.SCHEDULED, "bench " + version, List.of(),
                Instant.parse("2026-01-01T00:00:00Z"), zip);
        dev.javia.ota.protocol.pkg.FileTrees.delete(source, false);
        return zip;
    }

    private static byte[] python(int lines, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        String[] words = {"audio", "buffer", "frame", "self", "return", "stream", "device", "sample", "rate",
                "volume", "wake", "word", "model", "config", "logger", "event", "queue", "timeout"};
        StringBuilder text = new StringBuilder("import logging\nimport time\n\n");
        for (int i = 0; i < lines; i++) {
            text.append("    ").append(words[random.nextInt(words.length)]).append('_')
                    .append(words[random.nextInt(words.length)]).append(" = ")
                    .append(words[random.nextInt(words.length)]).append('(').append(random.nextInt(1000))
                    .append(")  # line ").append(i).append('\n');
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < size; i += 8) {
            long value = random.nextLong();
            for (int j = 0; j < 8 && i + j < size; j++) {
                bytes[i + j] = (byte) (value >>> (8 * j));
            }
        }
        return bytes;
    }

    private static byte[] changed(byte[] bytes, int count, int run, long seed) {
        byte[] copy = bytes.clone();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            int at = random.nextInt(copy.length - run);
            for (int j = 0; j < run; j++) {
                copy[at + j] = (byte) random.nextInt();
            }
        }
        return copy;
    }
}
