package dev.javia.ota.protocol.pkg;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The checks shared by {@link PackageInspector} and {@link PackageExtractor}. {@link #open} checks everything
 * that can be checked without inflating (structure, names, metadata, manifest against entries); {@link #readFiles}
 * then hands each file's content to a sink through a {@link VerifyingInputStream}, so an extractor never writes a
 * byte of a package whose structure is wrong, and learns of wrong content before it finishes.
 */
final class PackageReader implements Closeable {

    /** Far above any real manifest (10,000 files at ~150 bytes each), far below a memory problem. */
    static final long MAX_METADATA_BYTES = 16L * 1024 * 1024;
    private static final long MAX_VERSION_FILE_BYTES = 64;
    private static final byte[] LOCAL_HEADER = {'P', 'K', 3, 4};
    private static final byte[] EMPTY_ARCHIVE = {'P', 'K', 5, 6};

    /** Receives one verified file; the stream fails if the content differs from the manifest. */
    interface FileSink {
        void accept(ManifestEntry entry, InputStream content) throws IOException;
    }

    private final ZipFile zipFile;
    private final UpdateMetadata metadata;
    private final Map<ManifestEntry, ZipEntry> files;
    private final List<String> directories;

    private PackageReader(ZipFile zipFile, UpdateMetadata metadata, Map<ManifestEntry, ZipEntry> files,
                          List<String> directories) {
        this.zipFile = zipFile;
        this.metadata = metadata;
        this.files = files;
        this.directories = directories;
    }

    static PackageReader open(Path zip, PackageLimits limits) throws IOException {
        checkFile(zip, limits);
        List<ZipDirectory.Record> records = ZipDirectory.read(zip, limits.maxEntries());
        checkRecords(records);
        ZipFile zipFile;
        try {
            zipFile = new ZipFile(zip.toFile());
        } catch (ZipException e) {
            throw new InvalidPackageException("the ZIP is damaged (" + e.getMessage() + "): build the package "
                    + "again with create_update and upload it again", e);
        }
        try {
            List<ZipEntry> entries = sameEntries(zipFile, records);
            ZipEntry metadataEntry = null;
            Map<String, ZipEntry> fileEntries = new LinkedHashMap<>();
            List<String> directories = new ArrayList<>();
            for (ZipEntry entry : entries) {
                if (entry.getName().equals(PackageLayout.METADATA)) {
                    metadataEntry = entry;
                } else if (entry.isDirectory()) {
                    directories.add(relative(entry.getName()));
                } else {
                    fileEntries.put(entry.getName(), entry);
                }
            }
            if (metadataEntry == null) {
                throw new InvalidPackageException("the package has no " + PackageLayout.METADATA
                        + ": build it with create_update");
            }
            UpdateMetadata metadata = readMetadata(zipFile, metadataEntry);
            checkMetadata(metadata);
            Map<ManifestEntry, ZipEntry> files = matchManifest(metadata, fileEntries, limits);
            return new PackageReader(zipFile, metadata, files, directories);
        } catch (RuntimeException | IOException e) {
            zipFile.close();
            throw e;
        }
    }

    UpdateMetadata metadata() {
        return metadata;
    }

    /** Directories the ZIP lists on their own, relative to {@code pi_client/} ({@code ""} for pi_client/ itself). */
    List<String> directories() {
        return directories;
    }

    void readFiles(FileSink sink) throws IOException {
        for (Map.Entry<ManifestEntry, ZipEntry> file : files.entrySet()) {
            ManifestEntry expected = file.getKey();
            try (InputStream raw = zipFile.getInputStream(file.getValue())) {
                VerifyingInputStream content = new VerifyingInputStream(raw, expected);
                if (expected.path().equals(PackageLayout.VERSION_FILE)) {
                    byte[] bytes = content.readAllBytes();
                    checkVersionFile(bytes);
                    sink.accept(expected, new ByteArrayInputStream(bytes));
                } else {
                    sink.accept(expected, content);
                    content.drainAndVerify();
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        zipFile.close();
    }

    private static void checkFile(Path zip, PackageLimits limits) throws IOException {
        if (!Files.isRegularFile(zip)) {
            throw new InvalidPackageException("package file '" + zip + "' does not exist or is not a file: "
                    + "give the path of the update_vX.Y.Z.zip that create_update built");
        }
        long size = Files.size(zip);
        if (size > limits.maxPackageBytes()) {
            throw new InvalidPackageException("the package is " + size + " bytes, more than the limit of "
                    + limits.maxPackageBytes() + " bytes: leave large files out of the update");
        }
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(zip)) {
            if (in.readNBytes(magic, 0, 4) < 4
                    || !(java.util.Arrays.equals(magic, LOCAL_HEADER) || java.util.Arrays.equals(magic, EMPTY_ARCHIVE))) {
                throw ZipDirectory.notZip();
            }
        }
    }

    private static void checkRecords(List<ZipDirectory.Record> records) {
        Set<String> names = new HashSet<>();
        Set<String> fileNames = new HashSet<>();
        for (ZipDirectory.Record record : records) {
            String name = record.name();
            String problem = PackagePaths.entryProblem(name);
            if (problem != null) {
                throw new InvalidPackageException("entry '" + name + "' " + problem + ": rebuild it with create_update");
            }
            if (!names.add(name)) {
                throw new InvalidPackageException("entry '" + name + "' appears twice: rebuild the package with "
                        + "create_update");
            }
            if (record.symlink()) {
                throw new InvalidPackageException("entry '" + name + "' is a symbolic link, which a package must not "
                        + "contain: replace the link with the file and rebuild with create_update");
            }
            if (record.encrypted()) {
                throw new InvalidPackageException("entry '" + name + "' is encrypted: build the package with "
                        + "create_update, without a password");
            }
            if (record.method() != ZipEntry.STORED && record.method() != ZipEntry.DEFLATED) {
                throw new InvalidPackageException("entry '" + name + "' uses compression method " + record.method()
                        + " (only stored and deflated are read): rebuild the package with create_update");
            }
            if (!record.directory()) {
                fileNames.add(name);
            }
        }
        for (String name : names) {
            String bare = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
            for (int slash = bare.indexOf('/'); slash >= 0; slash = bare.indexOf('/', slash + 1)) {
                if (fileNames.contains(bare.substring(0, slash))) {
                    throw new InvalidPackageException("entry '" + bare.substring(0, slash) + "' is a file and also "
                            + "the directory of '" + name + "': rebuild the package with create_update");
                }
            }
            if (name.endsWith("/") && fileNames.contains(bare)) {
                throw new InvalidPackageException("entry '" + bare + "' is both a file and a directory: rebuild "
                        + "the package with create_update");
            }
        }
    }

    /** Refuses a ZIP whose central directory reads differently to ZipFile than to ZipDirectory. */
    private static List<ZipEntry> sameEntries(ZipFile zipFile, List<ZipDirectory.Record> records) {
        List<ZipEntry> entries = new ArrayList<>(records.size());
        Enumeration<? extends ZipEntry> enumeration = zipFile.entries();
        while (enumeration.hasMoreElements()) {
            entries.add(enumeration.nextElement());
        }
        boolean same = entries.size() == records.size();
        for (int i = 0; same && i < entries.size(); i++) {
            same = entries.get(i).getName().equals(records.get(i).name());
        }
        if (!same) {
            throw new InvalidPackageException("the ZIP's directory is inconsistent (readers would disagree on its "
                    + "entries): rebuild the package with create_update");
        }
        return entries;
    }

    private static UpdateMetadata readMetadata(ZipFile zipFile, ZipEntry entry) throws IOException {
        if (entry.getSize() > MAX_METADATA_BYTES) {
            throw metadataTooLarge();
        }
        byte[] json;
        try (InputStream in = zipFile.getInputStream(entry)) {
            json = in.readNBytes((int) MAX_METADATA_BYTES + 1);
        }
        if (json.length > MAX_METADATA_BYTES) {
            throw metadataTooLarge();
        }
        return PackageJson.read(new ByteArrayInputStream(json));
    }

    private static InvalidPackageException metadataTooLarge() {
        return new InvalidPackageException(PackageLayout.METADATA + " is larger than " + MAX_METADATA_BYTES
                + " bytes: rebuild the package with create_update");
    }

    private static void checkMetadata(UpdateMetadata metadata) {
        String file = PackageLayout.METADATA;
        String rebuild = ": rebuild the package with create_update";
        if (metadata.formatVersion() > PackageLayout.FORMAT_VERSION) {
            throw new InvalidPackageException(file + " has format_version " + metadata.formatVersion()
                    + ", newer than the " + PackageLayout.FORMAT_VERSION + " this program reads: update this "
                    + "program, or build the package with the matching create_update");
        }
        if (metadata.formatVersion() < 1) {
            throw new InvalidPackageException(file + " has no valid format_version" + rebuild);
        }
        if (Version.tryParse(metadata.version()).isEmpty()) {
            throw new InvalidPackageException(file + " has version '" + metadata.version()
                    + "', not vMAJOR.MINOR.PATCH (e.g. v1.2.3)" + rebuild);
        }
        if (metadata.updateType() == null) {
            throw new InvalidPackageException(file + " has no update_type (scheduled or urgent)" + rebuild);
        }
        if (metadata.description() == null) {
            throw new InvalidPackageException(file + " has no description" + rebuild);
        }
        if (metadata.createdAt() == null) {
            throw new InvalidPackageException(file + " has no created_at" + rebuild);
        }
        for (String name : metadata.systemPackages()) {
            if (!DebianPackageNames.isValid(name)) {
                throw new InvalidPackageException(file + " lists system package '" + name + "', which is not a name "
                        + "Debian accepts (" + DebianPackageNames.RULE + ")" + rebuild);
            }
        }
        if (metadata.requiresSystemPackages() == metadata.systemPackages().isEmpty()) {
            throw new InvalidPackageException(file + " says requires_system_packages="
                    + metadata.requiresSystemPackages() + " but lists " + metadata.systemPackages().size()
                    + " system packages" + rebuild);
        }
        Set<String> paths = new HashSet<>();
        for (ManifestEntry entry : metadata.files()) {
            if (entry == null) {
                throw new InvalidPackageException(file + " has an empty manifest entry" + rebuild);
            }
            String problem = PackagePaths.problem(entry.path());
            if (problem != null) {
                throw new InvalidPackageException("manifest path '" + entry.path() + "' " + problem + rebuild);
            }
            if (!paths.add(entry.path())) {
                throw new InvalidPackageException("manifest lists '" + entry.path() + "' twice" + rebuild);
            }
            if (entry.size() < 0) {
                throw new InvalidPackageException("manifest gives '" + entry.path() + "' a negative size" + rebuild);
            }
            if (!Sha256.isHex(entry.sha256())) {
                throw new InvalidPackageException("manifest gives '" + entry.path() + "' a SHA-256 that is not 64 "
                        + "lower-case hex digits" + rebuild);
            }
            if (!ManifestEntry.REGULAR.equals(entry.mode()) && !ManifestEntry.EXECUTABLE.equals(entry.mode())) {
                throw new InvalidPackageException("manifest gives '" + entry.path() + "' mode '" + entry.mode()
                        + "'; only " + ManifestEntry.REGULAR + " and " + ManifestEntry.EXECUTABLE + " are installed"
                        + rebuild);
            }
        }
        ManifestEntry versionFile = metadata.files().stream()
                .filter(entry -> entry.path().equals(PackageLayout.VERSION_FILE))
                .findFirst()
                .orElseThrow(() -> new InvalidPackageException("the package has no " + PackageLayout.APP_DIR
                        + PackageLayout.VERSION_FILE + rebuild));
        if (versionFile.size() > MAX_VERSION_FILE_BYTES) {
            throw new InvalidPackageException(PackageLayout.APP_DIR + PackageLayout.VERSION_FILE + " is "
                    + versionFile.size() + " bytes; it holds one version line" + rebuild);
        }
    }

    private static Map<ManifestEntry, ZipEntry> matchManifest(UpdateMetadata metadata, Map<String, ZipEntry> entries,
                                                              PackageLimits limits) {
        Map<String, ManifestEntry> byName = new HashMap<>();
        long total = 0;
        for (ManifestEntry entry : metadata.files()) {
            byName.put(entry.entryName(), entry);
            total += entry.size();
        }
        if (total > limits.maxUnpackedBytes()) {
            throw new InvalidPackageException("the package unpacks to " + total + " bytes, more than the limit of "
                    + limits.maxUnpackedBytes() + ": leave large files out of the update");
        }
        for (String name : entries.keySet()) {
            if (!byName.containsKey(name)) {
                throw new InvalidPackageException("entry '" + name + "' is not in the manifest of "
                        + PackageLayout.METADATA + ": rebuild the package with create_update");
            }
        }
        Map<ManifestEntry, ZipEntry> files = new LinkedHashMap<>();
        for (ManifestEntry expected : metadata.files()) {
            ZipEntry entry = entries.get(expected.entryName());
            if (entry == null) {
                throw new InvalidPackageException("the manifest lists '" + expected.path() + "' but the package has "
                        + "no entry '" + expected.entryName() + "': rebuild the package with create_update");
            }
            if (entry.getSize() >= 0 && entry.getSize() != expected.size()) {
                throw new InvalidPackageException("entry '" + entry.getName() + "' declares " + entry.getSize()
                        + " bytes but the manifest says " + expected.size() + ": rebuild the package with create_update");
            }
            files.put(expected, entry);
        }
        return files;
    }

    private void checkVersionFile(byte[] bytes) {
        String content = new String(bytes, StandardCharsets.UTF_8).strip();
        if (!content.equals(metadata.version())) {
            String shown = content.isEmpty() ? "nothing" : "'" + content + "'";
            throw new InvalidPackageException(PackageLayout.APP_DIR + PackageLayout.VERSION_FILE + " says " + shown
                    + " but " + PackageLayout.METADATA + " says '" + metadata.version() + "': rebuild the package "
                    + "with create_update, which writes VERSION itself");
        }
    }

    private static String relative(String entryName) {
        String bare = entryName.substring(0, entryName.length() - 1);
        return bare.length() < PackageLayout.APP_DIR.length() ? "" : bare.substring(PackageLayout.APP_DIR.length());
    }
}
