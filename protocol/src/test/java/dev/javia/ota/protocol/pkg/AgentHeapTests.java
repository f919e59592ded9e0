package dev.javia.ota.protocol.pkg;

import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whatever the server accepts, an agent can read: the readers run in a JVM started with the agent unit's own flags
 * (read from deploy/systemd/javia-ota-agent.service, {@code -Xmx64m -XX:+ExitOnOutOfMemoryError} among them) beside
 * a ballast for the rest of the agent ({@link AgentHeapProbe}), on the largest package the limits allow, on the
 * worst package they refuse only after parsing, and on the whole hostile corpus. Each must end accepted or refused
 * with a message, never by running out of memory.
 */
class AgentHeapTests {

    private static final Path UNIT = Path.of("deploy/systemd/javia-ota-agent.service");
    private static final Path UNIT_OPTIONS = Path.of("deploy/unit-jvm-options.sh");

    @TempDir
    Path dir;

    @Test
    void readsTheLargestPackageTheLimitsAllow() throws Exception {
        Path zip = largestAcceptedPackage(dir.resolve("largest.zip"));

        List<String> lines = probe(List.of(zip));

        assertThat(lines.get(0)).isEqualTo("largest.zip | accepted " + (PackageLimits.defaults().maxEntries() - 1)
                + " files");
    }

    @Test
    void refusesAPackageThatFillsEveryLimitOnlyOnceItIsParsed() throws Exception {
        Path zip = fullestRefusedPackage(dir.resolve("fullest.zip"));

        List<String> lines = probe(List.of(zip));

        assertThat(lines.get(0)).startsWith("fullest.zip | refused: ").contains("system packages, more than the limit");
    }

    /** Issue 11: 16 KB of ZIP, 15 MiB of metadata; the agent died of it in verifying at every start. */
    @Test
    void refusesEveryPackageOfTheHostileCorpus() throws Exception {
        List<Path> zips = new ArrayList<>();
        List<HostilePackages.Case> cases = HostilePackages.cases();
        for (HostilePackages.Case hostile : cases) {
            zips.add(hostile.writeTo(dir));
        }

        List<String> lines = probe(zips);

        for (int i = 0; i < cases.size(); i++) {
            assertThat(lines.get(i)).as(cases.get(i).name())
                    .startsWith(zips.get(i).getFileName() + " | refused: ").contains(cases.get(i).refusal());
        }
    }

    /** Runs {@link AgentHeapProbe} on the packages under the unit's JVM flags; returns its lines, one per package. */
    private List<String> probe(List<Path> zips) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(unitJvmOptions());
        Path work = extractionDir();
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), AgentHeapProbe.class.getName(),
                work.toString()));
        zips.forEach(zip -> command.add(zip.toString()));
        Path output = dir.resolve("probe.txt");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        boolean exited = process.waitFor(5, TimeUnit.MINUTES);
        if (!exited) {
            process.destroyForcibly().waitFor();
        }
        FileTrees.delete(work, false);
        List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
        lines.forEach(System.out::println);
        assertThat(exited).as("the probe ended within 5 minutes").isTrue();
        assertThat(String.join("\n", lines)).doesNotContain("OutOfMemoryError");
        assertThat(process.exitValue()).as(String.join("\n", lines)).isZero();
        assertThat(lines).hasSize(zips.size() + 1);
        assertThat(lines.get(zips.size())).startsWith(AgentHeapProbe.DONE);
        assertThat(lines).noneMatch(line -> line.contains("LEFT A RELEASE"));
        return lines;
    }

    /**
     * Where the probe extracts: tmpfs when there is one, because 20,000 fsyncs of the largest package take minutes on
     * a disk, and what extracting holds in memory does not depend on the disk.
     */
    private Path extractionDir() throws IOException {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "agent-heap-")
                : Files.createDirectory(dir.resolve("work"));
    }

    /** The agent unit's JVM flags, as deploy/unit-jvm-options.sh reads them from its ExecStart line. */
    static List<String> unitJvmOptions() throws IOException, InterruptedException {
        Path root = repositoryRoot();
        Process process = new ProcessBuilder("bash", root.resolve(UNIT_OPTIONS).toString(),
                root.resolve(UNIT).toString()).redirectErrorStream(true).start();
        String options = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(options).isZero();
        List<String> flags = Arrays.asList(options.split("\\s+"));
        assertThat(flags).as("the agent unit's heap and its exit on OutOfMemoryError")
                .contains("-Xmx64m", "-XX:+ExitOnOutOfMemoryError");
        return flags;
    }

    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(UNIT))) {
                return dir;
            }
        }
        throw new IllegalStateException("no " + UNIT + " above " + Path.of("").toAbsolutePath());
    }

    /**
     * As many entries as allowed (9,998 files, VERSION, the metadata), each file in a directory of its own (so the
     * paths imply as many directories as allowed), with the longest paths that keep the manifest within its limit.
     */
    static Path largestAcceptedPackage(Path zip) throws IOException {
        PackageLimits limits = PackageLimits.defaults();
        int files = limits.maxEntries() - 2;
        int pathLength = longestPathThatFits(files, limits);
        Map<String, byte[]> contents = new LinkedHashMap<>();
        for (String path : paths(files, pathLength)) {
            contents.put(path, new byte[] {'x'});
        }
        contents.put("VERSION", HostileZips.bytes(HostileZips.VERSION + "\n"));
        byte[] metadata = HostileZips.bytes(HostileZips.metadata(HostileZips.manifest(contents)).toJson());
        assertThat((long) metadata.length).as("the manifest fills its limit").isBetween(limits.maxMetadataBytes() * 99 / 100,
                limits.maxMetadataBytes());
        RawZip raw = new RawZip();
        contents.forEach((path, content) -> raw.add(PackageLayout.APP_DIR + path, content).stored());
        raw.add(PackageLayout.METADATA, metadata);
        return raw.write(zip);
    }

    /**
     * A central directory as large as allowed (10,000 entries with names of 373 bytes) and metadata as large as
     * allowed holding as many JSON tokens as allowed, all of them strings the parser must keep (system packages):
     * refused, but only once everything has been read and parsed.
     */
    static Path fullestRefusedPackage(Path zip) throws IOException {
        PackageLimits limits = PackageLimits.defaults();
        RawZip raw = new RawZip();
        String directory = PackageLayout.APP_DIR + "d".repeat(200) + "/";
        int record = (int) ((limits.maxDirectoryBytes() - 1000) / limits.maxEntries());
        String filler = "f".repeat(record - 46 - directory.length() - 5);
        for (int i = 0; i < limits.maxEntries() - 1; i++) {
            raw.add(directory + String.format("%05d", i) + filler, new byte[0]).stored();
        }
        // each package name is a line of its own: 4 spaces, 2 quotes, a comma and a line end around the name
        int packages = (int) (limits.metadataConstraints().getMaxTokenCount() - 100);
        int nameLength = (int) ((limits.maxMetadataBytes() - 1000) / packages) - 8;
        List<String> names = IntStream.range(0, packages)
                .mapToObj(i -> String.format("p%0" + (nameLength - 1) + "d", i)).toList();
        byte[] metadata = HostileZips.bytes(new UpdateMetadata(1, HostileZips.VERSION, UpdateType.SCHEDULED, "worst",
                Instant.parse("2025-01-01T00:00:00Z"), true, names, List.of()).toJson());
        assertThat((long) metadata.length).as("the metadata fills its limit").isBetween(limits.maxMetadataBytes() * 9 / 10,
                limits.maxMetadataBytes());
        raw.add(PackageLayout.METADATA, metadata);
        raw.write(zip);
        assertThat(raw.entries).hasSize(limits.maxEntries());
        long directoryBytes = raw.entries.stream().mapToLong(entry -> 46 + entry.nameBytes().length).sum();
        assertThat(directoryBytes).as("the central directory fills its limit")
                .isBetween(limits.maxDirectoryBytes() * 99 / 100, limits.maxDirectoryBytes());
        return zip;
    }

    private static int longestPathThatFits(int files, PackageLimits limits) {
        int low = 16;
        int high = limits.maxNameBytes() - PackageLayout.APP_DIR.length();
        while (low < high) {
            int length = (low + high + 1) / 2;
            List<ManifestEntry> manifest = paths(files, length).stream()
                    .map(path -> new ManifestEntry(path, 1, "0".repeat(64), ManifestEntry.REGULAR)).toList();
            long size = HostileZips.bytes(HostileZips.metadata(manifest).toJson()).length + 200;
            if (size <= limits.maxMetadataBytes()) {
                low = length;
            } else {
                high = length - 1;
            }
        }
        return low;
    }

    /** {@code d00042/xxx...}: one directory per file, every path {@code length} characters. */
    private static List<String> paths(int files, int length) {
        return IntStream.range(0, files)
                .mapToObj(i -> {
                    String start = String.format("d%05d/", i);
                    return start + "x".repeat(Math.min(PackagePaths.MAX_SEGMENT_BYTES, length - start.length()));
                })
                .toList();
    }
}
