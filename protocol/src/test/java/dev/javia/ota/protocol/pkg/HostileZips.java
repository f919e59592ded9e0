package dev.javia.ota.protocol.pkg;

import dev.javia.ota.protocol.api.UpdateType;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

/** Writes ZIPs the way an attacker or a careless hand would, and patches bytes java.util.zip will not write. */
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

    /** Replaces every occurrence of a name (same length) in local headers and central directory. */
    static void renameEntry(Path zip, String from, String to) throws IOException {
        byte[] data = Files.readAllBytes(zip);
        byte[] a = bytes(from);
        byte[] b = bytes(to);
        if (a.length != b.length) {
            throw new IllegalArgumentException("names must have the same length");
        }
        for (int i = 0; i + a.length <= data.length; i++) {
            if (ByteBuffer.wrap(data, i, a.length).equals(ByteBuffer.wrap(a))) {
                System.arraycopy(b, 0, data, i, b.length);
            }
        }
        Files.write(zip, data);
    }

    /** Marks the entry as a Unix symbolic link in its central directory record. */
    static void markAsSymlink(Path zip, String name) throws IOException {
        patchCentral(zip, name, 38, (0120777) << 16);
    }

    /** Overwrites the uncompressed size the central directory declares for the entry. */
    static void declareSize(Path zip, String name, int size) throws IOException {
        patchCentral(zip, name, 24, size);
    }

    private static void patchCentral(Path zip, String name, int offset, int value) throws IOException {
        byte[] data = Files.readAllBytes(zip);
        ByteBuffer buffer = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        byte[] wanted = bytes(name);
        for (int i = 0; i + 46 <= data.length; i++) {
            if (buffer.getInt(i) == 0x02014b50) {
                int nameLength = Short.toUnsignedInt(buffer.getShort(i + 28));
                if (nameLength == wanted.length
                        && ByteBuffer.wrap(data, i + 46, nameLength).equals(ByteBuffer.wrap(wanted))) {
                    buffer.putInt(i + offset, value);
                    Files.write(zip, data);
                    return;
                }
            }
        }
        throw new IllegalArgumentException("no central record for " + name);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
