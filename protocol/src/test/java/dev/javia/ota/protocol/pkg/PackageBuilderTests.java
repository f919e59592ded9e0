package dev.javia.ota.protocol.pkg;

import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackageBuilderTests {

    private static final Instant CREATED = Instant.parse("2025-03-01T12:00:00Z");

    @TempDir
    Path dir;

    @Test
    void sameInputGivesByteIdenticalPackages() throws IOException {
        Path source = sampleSource();
        byte[] first = build(source, "v1.2.3");
        Files.setLastModifiedTime(source.resolve("client.py"), java.nio.file.attribute.FileTime.fromMillis(0));
        byte[] second = build(source, "v1.2.3");
        assertArrayEquals(first, second);
    }

    @Test
    void aChangedFileChangesThePackage() throws IOException {
        Path source = sampleSource();
        byte[] first = build(source, "v1.2.3");
        Files.writeString(source.resolve("client.py"), "print('changed')\n");
        assertFalse(java.util.Arrays.equals(first, build(source, "v1.2.3")));
    }

    @Test
    void entriesAreSortedWithFixedTimestampsAndMetadataLast() throws IOException {
        Path zip = buildFile(sampleSource(), "v1.2.3");
        List<String> names = new ArrayList<>();
        try (ZipFile zipFile = new ZipFile(zip.toFile())) {
            for (ZipEntry entry : Collections.list(zipFile.entries())) {
                names.add(entry.getName());
                assertEquals(java.time.LocalDateTime.of(1980, 2, 1, 0, 0), entry.getTimeLocal());
            }
        }
        assertEquals(List.of("pi_client/VERSION", "pi_client/audio/codec.py", "pi_client/client.py",
                "pi_client/requirements.txt", "pi_client/run.sh", "update_metadata.json"), names);
    }

    @Test
    void writesVersionFileWithTheNewVersionReplacingTheSources() throws IOException {
        Path source = sampleSource();
        Files.writeString(source.resolve("VERSION"), "v0.0.1\n");
        Path zip = buildFile(source, "v2.0.0");
        try (ZipFile zipFile = new ZipFile(zip.toFile())) {
            assertEquals("v2.0.0\n", new String(zipFile.getInputStream(zipFile.getEntry("pi_client/VERSION"))
                    .readAllBytes()));
        }
    }

    @Test
    void neverPackagesSecretsCachesOrEditorJunk() throws IOException {
        Path source = sampleSource();
        for (String junk : List.of(".env", ".env.production", ".git/config", "__pycache__/client.cpython-311.pyc",
                "old.pyc", ".DS_Store", "client.py~", ".client.py.swp", ".idea/workspace.xml", ".vscode/settings.json",
                "audio/.env", "audio/__pycache__/codec.pyc")) {
            Path file = source.resolve(junk);
            Files.createDirectories(file.getParent());
            Files.writeString(file, "SECRET=1\n");
        }
        Path zip = buildFile(source, "v1.2.3");
        try (ZipFile zipFile = new ZipFile(zip.toFile())) {
            List<String> names = Collections.list(zipFile.entries()).stream().map(ZipEntry::getName).toList();
            assertEquals(6, names.size(), names.toString());
            assertTrue(names.stream().noneMatch(name -> name.contains(".env") || name.contains(".git")
                    || name.contains("pycache") || name.endsWith("~") || name.contains(".idea")), names.toString());
        }
        assertEquals(List.of(".DS_Store", ".client.py.swp", ".env", ".env.production", ".git", ".idea", ".vscode",
                "__pycache__", "audio/.env", "audio/__pycache__", "client.py~", "old.pyc"),
                PackageSource.scan(source).skipped());
    }

    @Test
    void normalisesModesToExecutableOrNot() throws IOException {
        Path source = sampleSource();
        Files.setPosixFilePermissions(source.resolve("client.py"), PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.setPosixFilePermissions(source.resolve("run.sh"), PosixFilePermissions.fromString("rwx------"));
        UpdateMetadata metadata = PackageBuilder.build(source, Version.parse("v1.2.3"), UpdateType.SCHEDULED, "d",
                List.of(), CREATED, new ByteArrayOutputStream());
        assertEquals(ManifestEntry.REGULAR, mode(metadata, "client.py"));
        assertEquals(ManifestEntry.EXECUTABLE, mode(metadata, "run.sh"));
        assertEquals(ManifestEntry.REGULAR, mode(metadata, "VERSION"));
    }

    @Test
    void metadataDescribesTheUpdateAndEveryFile() throws IOException {
        Path source = sampleSource();
        UpdateMetadata metadata = PackageBuilder.build(source, Version.parse("v1.3.0"), UpdateType.URGENT,
                "Add new audio codec", List.of("libopus0", "libopus-dev"), CREATED, new ByteArrayOutputStream());
        assertEquals(1, metadata.formatVersion());
        assertEquals("v1.3.0", metadata.version());
        assertEquals(UpdateType.URGENT, metadata.updateType());
        assertEquals(CREATED, metadata.createdAt());
        assertTrue(metadata.requiresSystemPackages());
        assertEquals(List.of("libopus0", "libopus-dev"), metadata.systemPackages());
        ManifestEntry client = metadata.files().stream().filter(f -> f.path().equals("client.py")).findFirst()
                .orElseThrow();
        assertEquals(Files.size(source.resolve("client.py")), client.size());
        assertEquals(Sha256.of(source.resolve("client.py")), client.sha256());
    }

    @Test
    void metadataJsonIsSnakeCase() throws IOException {
        UpdateMetadata metadata = PackageBuilder.build(sampleSource(), Version.parse("v1.3.0"), UpdateType.URGENT,
                "d", List.of(), CREATED, new ByteArrayOutputStream());
        String json = metadata.toJson();
        assertTrue(json.contains("\"format_version\" : 1"), json);
        assertTrue(json.contains("\"update_type\" : \"urgent\""), json);
        assertTrue(json.contains("\"created_at\" : \"2025-03-01T12:00:00Z\""), json);
        assertTrue(json.contains("\"requires_system_packages\" : false"), json);
        assertEquals(metadata, UpdateMetadata.fromJson(json));
    }

    @Test
    void followsALinkThatStaysInsideTheSource() throws IOException {
        Path source = sampleSource();
        Files.createSymbolicLink(source.resolve("main.py"), source.resolve("client.py"));
        UpdateMetadata metadata = PackageBuilder.build(source, Version.parse("v1.2.3"), UpdateType.SCHEDULED, "d",
                List.of(), CREATED, new ByteArrayOutputStream());
        assertEquals(Sha256.of(source.resolve("client.py")),
                metadata.files().stream().filter(f -> f.path().equals("main.py")).findFirst().orElseThrow().sha256());
    }

    @Test
    void refusesALinkThatLeavesTheSource() throws IOException {
        Path source = sampleSource();
        Path secret = Files.writeString(dir.resolve("secret.txt"), "x");
        Files.createSymbolicLink(source.resolve("secret.txt"), secret);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> build(source, "v1.2.3"));
        assertTrue(e.getMessage().startsWith("'secret.txt' is a link to '"), e.getMessage());
        assertTrue(e.getMessage().contains("outside the source directory"), e.getMessage());
    }

    @Test
    void refusesADanglingLinkAndALinkLoop() throws IOException {
        Path source = sampleSource();
        Files.createSymbolicLink(source.resolve("gone.py"), source.resolve("nowhere.py"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> build(source, "v1.2.3")).getMessage()
                .contains("which does not exist"));
        Files.delete(source.resolve("gone.py"));
        Files.createSymbolicLink(source.resolve("audio/loop"), source.resolve("audio"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> build(source, "v1.2.3")).getMessage()
                .contains("(a loop)"));
    }

    @Test
    void refusesAMissingOrEmptySourceDirectory() throws IOException {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> build(dir.resolve("absent"), "v1.2.3"));
        assertTrue(missing.getMessage().contains("does not exist or is not a directory"), missing.getMessage());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(empty.resolve(".env"), "KEY=secret\n");
        IllegalArgumentException nothing = assertThrows(IllegalArgumentException.class, () -> build(empty, "v1.2.3"));
        assertTrue(nothing.getMessage().contains("has no files to package (skipped: .env)"), nothing.getMessage());
    }

    @Test
    void refusesABlankDescriptionAndBadPackageNames() throws IOException {
        Path source = sampleSource();
        assertThrows(IllegalArgumentException.class, () -> PackageBuilder.build(source, Version.parse("v1.2.3"),
                UpdateType.SCHEDULED, " ", List.of(), CREATED, new ByteArrayOutputStream()));
        assertThrows(IllegalArgumentException.class, () -> PackageBuilder.build(source, Version.parse("v1.2.3"),
                UpdateType.SCHEDULED, "d", List.of("pkg-"), CREATED, new ByteArrayOutputStream()));
    }

    @Test
    void samplePackagePassesInspection() throws IOException {
        Path zip = PackageBuilder.samplePackage(dir, Version.parse("v0.9.0"), UpdateType.SCHEDULED, List.of());
        assertEquals("update_v0.9.0.zip", zip.getFileName().toString());
        assertEquals("v0.9.0", PackageInspector.inspect(zip, PackageLimits.defaults()).version());
    }

    private Path sampleSource() throws IOException {
        Path source = dir.resolve("pi_client");
        Files.createDirectories(source.resolve("audio"));
        Files.writeString(source.resolve("client.py"), "print('hello')\n");
        Files.writeString(source.resolve("requirements.txt"), "requests\n");
        Files.writeString(source.resolve("audio/codec.py"), "CODEC = 'opus'\n");
        Path run = Files.writeString(source.resolve("run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
        return source;
    }

    private byte[] build(Path source, String version) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PackageBuilder.build(source, Version.parse(version), UpdateType.SCHEDULED, "Bug fixes", List.of(), CREATED,
                out);
        return out.toByteArray();
    }

    private Path buildFile(Path source, String version) throws IOException {
        Path zip = dir.resolve("update_" + version + ".zip");
        PackageBuilder.buildFile(source, Version.parse(version), UpdateType.SCHEDULED, "Bug fixes", List.of(),
                CREATED, zip);
        return zip;
    }

    private static String mode(UpdateMetadata metadata, String path) {
        return metadata.files().stream().filter(f -> f.path().equals(path)).findFirst().orElseThrow().mode();
    }
}
