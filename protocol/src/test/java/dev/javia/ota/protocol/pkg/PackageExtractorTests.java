package dev.javia.ota.protocol.pkg;

import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static dev.javia.ota.protocol.pkg.HostileZips.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackageExtractorTests {

    @TempDir
    Path dir;

    @Test
    void extractsExactlyTheSourceFilesPlusVersion() throws IOException {
        Path zip = PackageBuilder.samplePackage(dir, Version.parse("v1.2.3"), UpdateType.SCHEDULED, List.of());
        Path source = dir.resolve("source-v1.2.3");
        Files.writeString(source.resolve(".env"), "SUPABASE_SERVICE_KEY=secret\n");
        Path release = dir.resolve("releases/v1.2.3");

        UpdateMetadata metadata = PackageExtractor.extract(zip, release, PackageLimits.defaults());

        assertEquals("v1.2.3", metadata.version());
        Map<String, String> expected = contents(source);
        expected.remove(".env");
        expected.put("VERSION", "v1.2.3\n");
        assertEquals(expected, contents(release));
    }

    @Test
    void setsModesFromTheManifest() throws IOException {
        Path zip = PackageBuilder.samplePackage(dir, Version.parse("v1.2.3"), UpdateType.SCHEDULED, List.of());
        Path release = dir.resolve("release");
        PackageExtractor.extract(zip, release, PackageLimits.defaults());
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(release.resolve("run.sh"))));
        assertEquals("rw-r--r--",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(release.resolve("client.py"))));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(release.resolve("audio"))));
    }

    @Test
    void extractsIntoAnExistingEmptyDirectory() throws IOException {
        Path zip = PackageBuilder.samplePackage(dir, Version.parse("v1.2.3"), UpdateType.SCHEDULED, List.of());
        Path release = Files.createDirectories(dir.resolve("release"));
        PackageExtractor.extract(zip, release, PackageLimits.defaults());
        assertTrue(Files.exists(release.resolve("VERSION")));
    }

    @Test
    void refusesANonEmptyTargetAndLeavesItAlone() throws IOException {
        Path zip = PackageBuilder.samplePackage(dir, Version.parse("v1.2.3"), UpdateType.SCHEDULED, List.of());
        Path release = Files.createDirectories(dir.resolve("release"));
        Files.writeString(release.resolve("keep.txt"), "mine");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PackageExtractor.extract(zip, release, PackageLimits.defaults()));
        assertTrue(e.getMessage().contains("is not empty"), e.getMessage());
        assertEquals("mine", Files.readString(release.resolve("keep.txt")));
    }

    @Test
    void deletesWhatItWroteWhenALaterFileIsBad() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("VERSION", bytes("v1.2.3\n"));
        files.put("a/good.py", bytes("print('ok')\n"));
        files.put("z/bad.py", bytes("print('tampered')\n"));
        List<ManifestEntry> manifest = new java.util.ArrayList<>(HostileZips.manifest(files));
        ManifestEntry bad = manifest.remove(2);
        manifest.add(new ManifestEntry(bad.path(), bad.size(), Sha256.of(new byte[0]), bad.mode()));
        Path zip = HostileZips.write(dir.resolve("bad.zip"), HostileZips.withMetadata(files, manifest));

        Path created = dir.resolve("created");
        assertThrows(InvalidPackageException.class, () -> PackageExtractor.extract(zip, created, PackageLimits.defaults()));
        assertFalse(Files.exists(created));

        Path existing = Files.createDirectories(dir.resolve("existing"));
        assertThrows(InvalidPackageException.class, () -> PackageExtractor.extract(zip, existing, PackageLimits.defaults()));
        try (Stream<Path> left = Files.list(existing)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void writesNothingForAPackageWithABadStructure() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>(HostileZips.validEntries());
        entries.put("../escape.py", bytes("x"));
        Path zip = HostileZips.write(dir.resolve("slip.zip"), entries);
        Path release = dir.resolve("release");
        InvalidPackageException e = assertThrows(InvalidPackageException.class,
                () -> PackageExtractor.extract(zip, release, PackageLimits.defaults()));
        assertEquals("entry '../escape.py' leaves the package: rebuild it with create_update", e.getMessage());
        assertFalse(Files.exists(release));
        assertFalse(Files.exists(dir.resolve("escape.py")));
    }

    private static Map<String, String> contents(Path root) throws IOException {
        Map<String, String> contents = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                contents.put(root.relativize(file).toString(), Files.readString(file));
            }
        }
        return contents;
    }
}
