package dev.javia.ota.protocol.pkg;

import dev.javia.ota.protocol.api.UpdateType;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** A valid package's entries and their manifest, written with java.util.zip; {@link RawZip} writes what it will not. */
final class HostileZips {

    static final String VERSION = "v1.2.3";

    private HostileZips() {
    }

    /** The entries of a valid package: two files, VERSION and the metadata describing them. */
    static Map<String, byte[]> validEntries() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("client.py", bytes("print('hello')\n"));
        files.put("VERSION", bytes(VERSION + "\n"));
        return withMetadata(files, manifest(files));
    }

    static Map<String, byte[]> withMetadata(Map<String, byte[]> files, List<ManifestEntry> manifest) {
        return withMetadata(files, metadata(manifest));
    }

    static Map<String, byte[]> withMetadata(Map<String, byte[]> files, UpdateMetadata metadata) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        files.forEach((path, content) -> entries.put(PackageLayout.APP_DIR + path, content));
        entries.put(PackageLayout.METADATA, bytes(metadata.toJson()));
        return entries;
    }

    static UpdateMetadata metadata(List<ManifestEntry> manifest) {
        return new UpdateMetadata(1, VERSION, UpdateType.SCHEDULED, "test", Instant.parse("2025-01-01T00:00:00Z"),
                false, List.of(), manifest);
    }

    static List<ManifestEntry> manifest(Map<String, byte[]> files) {
        List<ManifestEntry> manifest = new ArrayList<>();
        files.forEach((path, content) -> manifest.add(
                new ManifestEntry(path, content.length, Sha256.of(content), ManifestEntry.REGULAR)));
        return manifest;
    }

    static Path write(Path zip, Map<String, byte[]> entries) throws IOException {
        try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream zipOut = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                zipOut.putNextEntry(new ZipEntry(entry.getKey()));
                zipOut.write(entry.getValue());
                zipOut.closeEntry();
            }
        }
        return zip;
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
