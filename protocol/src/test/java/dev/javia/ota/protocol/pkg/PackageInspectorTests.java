package dev.javia.ota.protocol.pkg;

import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.javia.ota.protocol.pkg.HostileZips.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the inspector accepts, and the limits; every kind of refusal is in the corpus ({@link HostilePackagesTests}). */
class PackageInspectorTests {

    /** Built by create_update.sh and PackageBuilder at commit 7476d17, before the ZIP checks of issue 11. */
    private static final String BUILT_BEFORE = "/packages-built-by-7476d17/";

    @TempDir
    Path dir;

    @Test
    void acceptsAPackageTheBuilderMade() throws IOException {
        Path zip = PackageBuilder.samplePackage(dir, Version.parse("v1.2.3"), UpdateType.URGENT, List.of("libopus0"));
        UpdateMetadata metadata = PackageInspector.inspect(zip, PackageLimits.defaults());
        assertEquals("v1.2.3", metadata.version());
        assertEquals(UpdateType.URGENT, metadata.updateType());
        assertEquals(List.of("libopus0"), metadata.systemPackages());
        assertEquals(5, metadata.files().size());
    }

    @Test
    void acceptsPackagesThatEarlierPackagersBuilt() throws IOException {
        UpdateMetadata sample = PackageInspector.inspect(resource("sample-v1.2.3.zip"), PackageLimits.defaults());
        assertThat(sample.version()).isEqualTo("v1.2.3");
        assertThat(sample.files()).extracting(ManifestEntry::path)
                .containsExactly("VERSION", "audio/codec.py", "client.py", "requirements.txt", "run.sh");

        Path release = dir.resolve("release");
        UpdateMetadata built = PackageExtractor.extract(resource("create_update-v1.4.0.zip"), release,
                PackageLimits.defaults());
        assertThat(built.version()).isEqualTo("v1.4.0");
        assertThat(built.systemPackages()).containsExactly("libopus0");
        assertThat(release.resolve("sounds/größe/café.wav")).hasContent("RIFF");
        assertThat(release.resolve("audio/__init__.py")).isEmptyFile();
        assertThat(release.resolve("bin/run.sh")).isExecutable();
    }

    @Test
    void acceptsAHandMadePackageWithDirectoryEntries() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("pi_client/", new byte[0]);
        entries.putAll(HostileZips.validEntries());
        assertEquals("v1.2.3", inspect(entries).version());
    }

    /** Names that share a start, or look alike without being one file on any file system, are all kept. */
    @Test
    void acceptsNamesThatOnlyLookAlike() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String path : List.of("audio.py", "audio/x.py", "audio/z/y.py", "audio-2/x.py", "straße.py",
                "strasse.py", "a-b.py", "a/b.py", "VERSION")) {
            files.put(path, bytes(path.equals("VERSION") ? HostileZips.VERSION + "\n" : path));
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("pi_client/audio/", new byte[0]);
        entries.putAll(HostileZips.withMetadata(files, HostileZips.manifest(files)));
        assertThat(inspect(entries).files()).hasSize(files.size());
    }

    /** Info-ZIP (extra fields, Unix modes, stored directories, no descriptors) and Python's zipfile, when present. */
    @Test
    void acceptsWhatOtherZipWritersMakeOfAPackage() throws Exception {
        Path tree = dir.resolve("tree");
        Path sample = PackageBuilder.samplePackage(dir, Version.parse("v1.2.3"), UpdateType.SCHEDULED, List.of());
        UpdateMetadata metadata = PackageExtractor.extract(sample, tree.resolve("pi_client"), PackageLimits.defaults());
        Files.writeString(tree.resolve(PackageLayout.METADATA), metadata.toJson());

        boolean infoZip = run(tree, "zip", "-q", "-r", dir.resolve("info-zip.zip").toString(), "pi_client",
                PackageLayout.METADATA);
        boolean python = run(tree, "python3", "-c", "import os, sys, zipfile\n"
                + "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n"
                + "    for root, dirs, files in sorted(os.walk('pi_client')):\n"
                + "        z.write(root)\n"
                + "        for f in sorted(files): z.write(os.path.join(root, f))\n"
                + "    z.write('update_metadata.json')\n", dir.resolve("python.zip").toString());
        assumeTrue(infoZip || python, "neither zip nor python3 is installed");
        for (String made : List.of("info-zip.zip", "python.zip")) {
            Path zip = dir.resolve(made);
            if (Files.exists(zip)) {
                assertThat(PackageInspector.inspect(zip, PackageLimits.defaults())).as(made).isEqualTo(metadata);
            }
        }
    }

    @Test
    void ignoresMetadataFieldsItDoesNotKnow() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>(HostileZips.validEntries());
        String json = new String(entries.get("update_metadata.json"), java.nio.charset.StandardCharsets.UTF_8);
        entries.put("update_metadata.json", bytes(json.replaceFirst("\\{", "{\"signature\": \"abc\",")));
        assertEquals("v1.2.3", inspect(entries).version());
    }

    @Test
    void refusesMoreEntriesThanTheLimit() throws IOException {
        Path zip = write(HostileZips.validEntries());
        assertRefused(zip, PackageLimits.defaults().withMaxEntries(2), "the package has 3 entries, more than the "
                + "limit of 2");
    }

    @Test
    void refusesAPackageLargerThanTheLimit() throws IOException {
        Path zip = write(HostileZips.validEntries());
        assertRefused(zip, PackageLimits.defaults().withMaxPackageBytes(100),
                "bytes, more than the limit of 100 bytes");
    }

    @Test
    void refusesAPackageThatUnpacksBeyondTheLimit() throws IOException {
        Path zip = write(HostileZips.validEntries());
        assertRefused(zip, PackageLimits.defaults().withMaxUnpackedBytes(10), "the package unpacks to 22 bytes, more "
                + "than the limit of 10");
    }

    @Test
    void refusesLimitsThatWouldNeedZip64() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PackageLimits.defaults().withMaxUnpackedBytes(4L << 30));
        assertThat(e.getMessage()).contains("would need ZIP64");
    }

    private Path resource(String name) throws IOException {
        Path copy = dir.resolve(name);
        try (InputStream in = PackageInspectorTests.class.getResourceAsStream(BUILT_BEFORE + name)) {
            assertThat(in).as(name).isNotNull();
            Files.copy(in, copy);
        }
        return copy;
    }

    /** Runs a command in {@code workDir}; false when it is not installed. */
    private static boolean run(Path workDir, String... command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
        } catch (IOException notInstalled) {
            return false;
        }
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + output).isZero();
        return true;
    }

    private UpdateMetadata inspect(Map<String, byte[]> entries) throws IOException {
        return PackageInspector.inspect(write(entries), PackageLimits.defaults());
    }

    private Path write(Map<String, byte[]> entries) throws IOException {
        return HostileZips.write(Files.createTempFile(dir, "update", ".zip"), entries);
    }

    private static void assertRefused(Path zip, PackageLimits limits, String expected) {
        InvalidPackageException e = assertThrows(InvalidPackageException.class,
                () -> PackageInspector.inspect(zip, limits));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
