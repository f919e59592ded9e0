package dev.javia.ota.protocol.pkg;

import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.javia.ota.protocol.pkg.HostileZips.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackageInspectorTests {

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
    void acceptsAHandMadePackageWithDirectoryEntries() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("pi_client/", new byte[0]);
        entries.putAll(HostileZips.validEntries());
        assertEquals("v1.2.3", inspect(entries).version());
    }

    @Test
    void refusesAFileThatIsNotAZip() throws IOException {
        Path text = Files.writeString(dir.resolve("update_v1.2.3.zip"), "this is not a zip\n");
        assertRefused(text, "the file is not a ZIP archive: upload the update_vX.Y.Z.zip that create_update built");
    }

    @Test
    void refusesATruncatedZip() throws IOException {
        Path zip = PackageBuilder.samplePackage(dir, Version.parse("v1.2.3"), UpdateType.SCHEDULED, List.of());
        byte[] data = Files.readAllBytes(zip);
        Files.write(zip, Arrays.copyOf(data, data.length / 2));
        assertRefused(zip, "the file is not a ZIP archive");
    }

    @Test
    void refusesZipSlip() throws IOException {
        assertRefused(withExtraEntry("../x"), "entry '../x' leaves the package: rebuild it with create_update");
        assertRefused(withExtraEntry("pi_client/../../x"), "entry 'pi_client/../../x' leaves the package");
    }

    @Test
    void refusesAbsolutePathsAndBackslashes() throws IOException {
        assertRefused(withExtraEntry("/etc/passwd"), "entry '/etc/passwd' is an absolute path");
        assertRefused(withExtraEntry("pi_client\\..\\x"), "entry 'pi_client\\..\\x' contains a backslash");
    }

    @Test
    void refusesEntriesOutsidePiClient() throws IOException {
        assertRefused(withExtraEntry("etc/cron.d/x"), "entry 'etc/cron.d/x' is neither update_metadata.json nor "
                + "under pi_client/");
    }

    @Test
    void refusesADuplicateEntry() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>(HostileZips.validEntries());
        entries.put("pi_client/clienX.py", bytes("import os\n"));
        Path zip = HostileZips.write(dir.resolve("dup.zip"), entries);
        HostileZips.renameEntry(zip, "pi_client/clienX.py", "pi_client/client.py");
        assertRefused(zip, "entry 'pi_client/client.py' appears twice");
    }

    @Test
    void refusesASymlinkEntry() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("client.py", bytes("/etc/shadow"));
        files.put("VERSION", bytes("v1.2.3\n"));
        Path zip = HostileZips.write(dir.resolve("link.zip"),
                HostileZips.withMetadata(files, HostileZips.manifest(files)));
        HostileZips.markAsSymlink(zip, "pi_client/client.py");
        assertRefused(zip, "entry 'pi_client/client.py' is a symbolic link");
    }

    @Test
    void refusesAnEntryThatInflatesBeyondWhatItDeclares() throws IOException {
        byte[] bomb = new byte[4 * 1024 * 1024];
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("bomb.bin", bomb);
        files.put("VERSION", bytes("v1.2.3\n"));
        // The manifest and the central directory agree on 1,000 bytes; the deflated data holds 4 MiB.
        List<ManifestEntry> manifest = List.of(
                new ManifestEntry("bomb.bin", 1000, Sha256.of(Arrays.copyOf(bomb, 1000)), ManifestEntry.REGULAR),
                HostileZips.manifest(Map.of("VERSION", bytes("v1.2.3\n"))).get(0));
        Path zip = HostileZips.write(dir.resolve("bomb.zip"), HostileZips.withMetadata(files, manifest));
        HostileZips.declareSize(zip, "pi_client/bomb.bin", 1000);
        assertRefused(zip, "entry 'pi_client/bomb.bin' inflates to more than the 1000 bytes its manifest declares "
                + "(a size lie or a zip bomb)");
    }

    @Test
    void refusesAnEntryWhoseDeclaredSizeDiffersFromTheManifest() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("client.py", bytes("print('hello')\n"));
        files.put("VERSION", bytes("v1.2.3\n"));
        List<ManifestEntry> manifest = List.of(
                new ManifestEntry("client.py", 3, Sha256.of(bytes("abc")), ManifestEntry.REGULAR),
                HostileZips.manifest(Map.of("VERSION", bytes("v1.2.3\n"))).get(0));
        assertRefused(HostileZips.write(dir.resolve("lie.zip"), HostileZips.withMetadata(files, manifest)),
                "entry 'pi_client/client.py' declares 15 bytes but the manifest says 3");
    }

    @Test
    void refusesAFileNotInTheManifest() throws IOException {
        assertRefused(withExtraEntry("pi_client/backdoor.py"), "entry 'pi_client/backdoor.py' is not in the manifest "
                + "of update_metadata.json");
    }

    @Test
    void refusesAManifestFileMissingFromTheZip() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>(HostileZips.validEntries());
        entries.remove("pi_client/client.py");
        assertRefused(write(entries), "the manifest lists 'client.py' but the package has no entry "
                + "'pi_client/client.py'");
    }

    @Test
    void refusesAFileWhoseShaDiffers() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>(HostileZips.validEntries());
        entries.put("pi_client/client.py", bytes("print('HELLO')\n"));
        assertRefused(write(entries), "entry 'pi_client/client.py' does not match its SHA-256 in the manifest");
    }

    @Test
    void refusesAVersionFileThatDisagreesWithTheMetadata() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("client.py", bytes("print('hello')\n"));
        files.put("VERSION", bytes("v9.9.9\n"));
        assertRefused(write(HostileZips.withMetadata(files, HostileZips.manifest(files))),
                "pi_client/VERSION says 'v9.9.9' but update_metadata.json says 'v1.2.3'");
    }

    @Test
    void refusesAPackageWithoutMetadataOrWithBadMetadata() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>(HostileZips.validEntries());
        entries.remove("update_metadata.json");
        assertRefused(write(entries), "the package has no update_metadata.json: build it with create_update");
        entries.put("update_metadata.json", bytes("{not json"));
        assertRefused(write(entries), "update_metadata.json is not valid update metadata");
    }

    @Test
    void refusesMetadataWithAnInvalidVersion() throws IOException {
        assertRefused(packageWithMetadata(1, "1.2", List.of()),
                "update_metadata.json has version '1.2', not vMAJOR.MINOR.PATCH");
    }

    @Test
    void refusesSystemPackagesDebianWouldNotAccept() throws IOException {
        assertRefused(packageWithMetadata(1, "v1.2.3", List.of("-oDebug::NoLocking=1")),
                "update_metadata.json lists system package '-oDebug::NoLocking=1', which is not a name Debian accepts");
    }

    @Test
    void refusesAModeOtherThan644Or755() throws IOException {
        Map<String, byte[]> files = Map.of("VERSION", bytes("v1.2.3\n"));
        ManifestEntry setuid = new ManifestEntry("VERSION", 7, Sha256.of(bytes("v1.2.3\n")), "4755");
        assertRefused(write(HostileZips.withMetadata(files, List.of(setuid))),
                "manifest gives 'VERSION' mode '4755'; only 0644 and 0755 are installed");
    }

    @Test
    void refusesAFormatNewerThanItReads() throws IOException {
        assertRefused(packageWithMetadata(2, "v1.2.3", List.of()),
                "update_metadata.json has format_version 2, newer than the 1 this program reads");
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
        assertRefused(zip, new PackageLimits(1 << 20, 2, 1 << 20), "the package has 3 entries, more than the limit of 2");
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
        assertRefused(zip, new PackageLimits(1 << 20, 10, 10), "the package unpacks to 22 bytes, more than the "
                + "limit of 10");
    }

    private Path packageWithMetadata(int formatVersion, String version, List<String> systemPackages)
            throws IOException {
        Map<String, byte[]> files = Map.of("VERSION", bytes(version + "\n"));
        UpdateMetadata metadata = new UpdateMetadata(formatVersion, version, UpdateType.SCHEDULED, "d", Instant.EPOCH,
                !systemPackages.isEmpty(), systemPackages, HostileZips.manifest(files));
        return write(HostileZips.withMetadata(files, metadata));
    }

    private UpdateMetadata inspect(Map<String, byte[]> entries) throws IOException {
        return PackageInspector.inspect(write(entries), PackageLimits.defaults());
    }

    private Path write(Map<String, byte[]> entries) throws IOException {
        return HostileZips.write(Files.createTempFile(dir, "update", ".zip"), entries);
    }

    private Path withExtraEntry(String name) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>(HostileZips.validEntries());
        entries.put(name, bytes("x"));
        return write(entries);
    }

    private static void assertRefused(Path zip, String expected) {
        assertRefused(zip, PackageLimits.defaults(), expected);
    }

    private static void assertRefused(Path zip, PackageLimits limits, String expected) {
        InvalidPackageException e = assertThrows(InvalidPackageException.class,
                () -> PackageInspector.inspect(zip, limits));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
