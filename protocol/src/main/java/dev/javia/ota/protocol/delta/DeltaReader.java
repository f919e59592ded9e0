package dev.javia.ota.protocol.delta;

import dev.javia.ota.protocol.pkg.EntryNames;
import dev.javia.ota.protocol.pkg.EntryStream;
import dev.javia.ota.protocol.pkg.InvalidPackageException;
import dev.javia.ota.protocol.pkg.ManifestEntry;
import dev.javia.ota.protocol.pkg.PackageJson;
import dev.javia.ota.protocol.pkg.PackageLayout;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackagePaths;
import dev.javia.ota.protocol.pkg.PackageReader;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.UpdateMetadata;
import dev.javia.ota.protocol.pkg.ZipDirectory;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.json.JsonFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A delta ZIP read without trusting it, with the package's rules wherever they apply: the ZIP's structure
 * ({@link ZipDirectory}: no ambiguity, sizes within {@link PackageLimits}), entry types and modes, names
 * ({@link PackagePaths} after {@code whole/} and {@code patch/}, duplicates and case clashes by {@link EntryNames}),
 * both metadata files as a package's (the target's through {@code trust}), and then {@code delta.json} against them:
 * every file it names is the target manifest's, every source it names the base manifest's, every entry is named and
 * every named entry is there, every target file it does not name is identical in the base.
 */
final class DeltaReader implements Closeable {

    /** The advice at the end of a package's refusal, which does not apply to a delta. */
    private static final Pattern PACKAGE_ADVICE = Pattern.compile(":\\s[^:]*create_update[^:]*$");

    final FileChannel channel;
    final UpdateMetadata target;
    final String targetSha256;
    final UpdateMetadata base;
    private final String baseSha256;
    final DeltaManifest manifest;
    final Map<String, ManifestEntry> baseFiles = new HashMap<>();
    /** delta.json's files by path. */
    final Map<String, DeltaFile> changed = new LinkedHashMap<>();
    private final Map<String, ZipDirectory.Entry> entries;
    private final String name;

    private DeltaReader(FileChannel channel, String name, CheckedParts parts) {
        this.channel = channel;
        this.name = name;
        this.target = parts.target.metadata();
        this.targetSha256 = parts.target.sha256();
        this.base = parts.base.metadata();
        this.baseSha256 = parts.base.sha256();
        this.manifest = parts.manifest;
        this.entries = parts.entries;
    }

    private record CheckedParts(PackageReader.CheckedMetadata target, PackageReader.CheckedMetadata base,
                                DeltaManifest manifest, Map<String, ZipDirectory.Entry> entries) {
    }

    static DeltaReader open(Path delta, PackageLimits limits, PackageTrust trust, String expectedTargetSha256)
            throws IOException {
        String name = String.valueOf(delta.getFileName());
        if (!Files.isRegularFile(delta)) {
            throw new InvalidPackageException("delta file '" + delta + "' does not exist or is not a file: download "
                    + "it again, or install the full package");
        }
        FileChannel channel = FileChannel.open(delta, StandardOpenOption.READ);
        try {
            CheckedParts parts;
            try {
                parts = read(channel, limits, trust, expectedTargetSha256);
            } catch (DeltaMismatchException e) {
                throw e;
            } catch (InvalidPackageException e) {
                throw refusal(name, e);
            }
            DeltaReader reader = new DeltaReader(channel, name, parts);
            reader.check();
            return reader;
        } catch (RuntimeException | IOException e) {
            channel.close();
            throw e;
        }
    }

    private static CheckedParts read(FileChannel channel, PackageLimits limits, PackageTrust trust,
                                     String expectedTargetSha256) throws IOException {
        long size = channel.size();
        if (size > limits.maxPackageBytes()) {
            throw new InvalidPackageException("it is " + size + " bytes, more than the package limit of "
                    + limits.maxPackageBytes());
        }
        List<ZipDirectory.Entry> all = ZipDirectory.read(channel, limits);
        EntryNames names = new EntryNames();
        Map<String, ZipDirectory.Entry> entries = new LinkedHashMap<>();
        for (ZipDirectory.Entry entry : all) {
            String problem = entryProblem(entry.name());
            if (problem != null) {
                throw new InvalidPackageException("entry '" + entry.name() + "' " + problem);
            }
            PackageReader.checkEntry(entry);
            names.add(entry.name());
            entries.put(entry.name(), entry);
        }
        names.check(limits.maxEntries());
        ZipDirectory.Entry targetEntry = required(entries, PackageLayout.METADATA);
        ZipDirectory.Entry baseEntry = required(entries, DeltaLayout.BASE_METADATA);
        ZipDirectory.Entry deltaEntry = required(entries, DeltaLayout.DELTA_JSON);
        PackageReader.CheckedMetadata target = PackageReader.readMetadata(channel, targetEntry, limits, trust);
        if (expectedTargetSha256 != null && !expectedTargetSha256.equals(target.sha256())) {
            throw new InvalidPackageException("its " + PackageLayout.METADATA + " has SHA-256 " + target.sha256()
                    + ", not the " + expectedTargetSha256 + " of the update offered");
        }
        PackageReader.CheckedMetadata base = PackageReader.readMetadata(channel, baseEntry, limits,
                PackageTrust.none());
        if (deltaEntry.size() > limits.maxMetadataBytes()) {
            throw new InvalidPackageException(DeltaLayout.DELTA_JSON + " is " + deltaEntry.size() + " bytes, more "
                    + "than the limit of " + limits.maxMetadataBytes());
        }
        return new CheckedParts(target, base, readManifest(channel, deltaEntry, limits), entries);
    }

    private static ZipDirectory.Entry required(Map<String, ZipDirectory.Entry> entries, String name) {
        ZipDirectory.Entry entry = entries.get(name);
        if (entry == null) {
            throw new InvalidPackageException("it has no " + name);
        }
        return entry;
    }

    /** The names a delta may have; files only (directories are implied by the paths). */
    private static String entryProblem(String name) {
        if (name.equals(PackageLayout.METADATA) || name.equals(DeltaLayout.BASE_METADATA)
                || name.equals(DeltaLayout.DELTA_JSON)) {
            return null;
        }
        if (name.endsWith("/")) {
            return "is a directory entry, which a delta never has";
        }
        String path;
        if (name.startsWith(DeltaLayout.WHOLE_DIR)) {
            path = name.substring(DeltaLayout.WHOLE_DIR.length());
        } else if (name.startsWith(DeltaLayout.PATCH_DIR) && name.endsWith(DeltaLayout.PATCH_SUFFIX)) {
            path = name.substring(DeltaLayout.PATCH_DIR.length(), name.length() - DeltaLayout.PATCH_SUFFIX.length());
        } else {
            return "is none of " + PackageLayout.METADATA + ", " + DeltaLayout.BASE_METADATA + ", "
                    + DeltaLayout.DELTA_JSON + ", " + DeltaLayout.WHOLE_DIR + "<path> or " + DeltaLayout.PATCH_DIR
                    + "<path>" + DeltaLayout.PATCH_SUFFIX;
        }
        return PackagePaths.problem(path);
    }

    private static DeltaManifest readManifest(FileChannel channel, ZipDirectory.Entry entry, PackageLimits limits)
            throws IOException {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(limits.metadataConstraints())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
                .disable(TokenStreamFactory.Feature.CHARSET_DETECTION)
                .build();
        try (EntryStream json = new EntryStream(channel, entry, null);
             JsonParser parser = factory.createParser(ObjectReadContext.empty(), json)) {
            DeltaManifest manifest = PackageJson.mapper().readerFor(DeltaManifest.class).readValue(parser);
            if (parser.nextToken() != null) {
                throw new InvalidPackageException(DeltaLayout.DELTA_JSON + " has more after its JSON object");
            }
            json.readToEnd();
            return manifest;
        } catch (JacksonException e) {
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof InvalidPackageException refusal) {
                    throw refusal;
                }
            }
            throw new InvalidPackageException(DeltaLayout.DELTA_JSON + " is not valid (" + e.getOriginalMessage()
                    + ")", e);
        }
    }

    /** delta.json against the two manifests and the entries. */
    private void check() {
        if (manifest.formatVersion() > DeltaLayout.FORMAT_VERSION) {
            throw new InvalidPackageException("delta '" + name + "' has format_version " + manifest.formatVersion()
                    + ", newer than the " + DeltaLayout.FORMAT_VERSION + " this program reads: it is not used; "
                    + "install the full package, or update this program");
        }
        if (manifest.formatVersion() < 1) {
            throw bad("delta.json has no valid format_version");
        }
        if (!targetSha256.equals(manifest.targetManifestSha256()) || !target.version().equals(
                manifest.targetVersion())) {
            throw bad("delta.json is for target " + manifest.targetVersion() + " (" + manifest.targetManifestSha256()
                    + ") but its " + PackageLayout.METADATA + " is " + target.version() + " (" + targetSha256 + ")");
        }
        if (!baseSha256.equals(manifest.baseManifestSha256()) || !base.version().equals(manifest.baseVersion())) {
            throw bad("delta.json is from base " + manifest.baseVersion() + " (" + manifest.baseManifestSha256()
                    + ") but its " + DeltaLayout.BASE_METADATA + " is " + base.version() + " (" + baseSha256 + ")");
        }
        if (target.agent() != null || !target.includesApp()) {
            throw bad("its target carries an agent release, which deltas do not carry");
        }
        base.files().forEach(file -> baseFiles.put(file.path(), file));
        Map<String, ManifestEntry> targetFiles = new HashMap<>();
        target.files().forEach(file -> targetFiles.put(file.path(), file));
        Set<String> named = new HashSet<>();
        for (DeltaFile file : manifest.files()) {
            checkFile(file, targetFiles);
            if (changed.put(file.path(), file) != null) {
                throw bad("delta.json lists '" + file.path() + "' twice");
            }
            if (file.entryName() != null) {
                named.add(file.entryName());
                if (!entries.containsKey(file.entryName())) {
                    throw bad("delta.json names '" + file.path() + "' as " + file.how() + " but the delta has no "
                            + "entry '" + file.entryName() + "'");
                }
            }
            if (DeltaFile.WHOLE.equals(file.how()) && entries.get(file.entryName()).size() != file.size()) {
                throw bad("entry '" + file.entryName() + "' declares " + entries.get(file.entryName()).size()
                        + " bytes but the target's manifest gives '" + file.path() + "' " + file.size());
            }
        }
        for (String entry : entries.keySet()) {
            if ((entry.startsWith(DeltaLayout.WHOLE_DIR) || entry.startsWith(DeltaLayout.PATCH_DIR))
                    && !named.contains(entry)) {
                throw bad("entry '" + entry + "' is not named in delta.json");
            }
        }
        for (ManifestEntry file : target.files()) {
            if (!changed.containsKey(file.path()) && !file.equals(baseFiles.get(file.path()))) {
                throw bad("the target's '" + file.path() + "' is neither in the delta nor the same in the base");
            }
        }
        for (String removed : manifest.removed()) {
            if (!baseFiles.containsKey(removed) || targetFiles.containsKey(removed)) {
                throw bad("delta.json says '" + removed + "' is removed, but it is not a file of the base only");
            }
        }
    }

    private void checkFile(DeltaFile file, Map<String, ManifestEntry> targetFiles) {
        if (file == null || file.path() == null) {
            throw bad("delta.json has an empty file entry");
        }
        ManifestEntry expected = targetFiles.get(file.path());
        if (expected == null) {
            throw bad("delta.json names '" + file.path() + "', which is not in the target's manifest");
        }
        if (expected.size() != file.size() || !expected.sha256().equals(file.sha256())
                || !expected.mode().equals(file.mode())) {
            throw bad("delta.json gives '" + file.path() + "' another size, SHA-256 or mode than the target's "
                    + "manifest");
        }
        String how = String.valueOf(file.how());
        if (how.equals(DeltaFile.WHOLE)) {
            if (file.from() != null) {
                throw bad("delta.json gives the whole file '" + file.path() + "' a source");
            }
            return;
        }
        if (!how.equals(DeltaFile.PATCH) && !how.equals(DeltaFile.COPY) && !how.equals(DeltaFile.MODE)) {
            throw bad("delta.json says '" + file.path() + "' travels as '" + how + "', none of whole, patch, copy, "
                    + "mode");
        }
        ManifestEntry source = file.from() == null ? null : baseFiles.get(file.from());
        if (source == null) {
            throw bad("delta.json makes '" + file.path() + "' from '" + file.from() + "', which is not a file of the "
                    + "base's manifest");
        }
        if (how.equals(DeltaFile.COPY) && (source.size() != file.size() || !source.sha256().equals(file.sha256()))) {
            throw bad("delta.json copies '" + file.path() + "' from '" + file.from() + "', whose content differs");
        }
        if (how.equals(DeltaFile.MODE) && (!file.from().equals(file.path()) || source.size() != file.size()
                || !source.sha256().equals(file.sha256()))) {
            throw bad("delta.json changes only the mode of '" + file.path() + "', but the base's file differs");
        }
        if (how.equals(DeltaFile.PATCH) && source.size() == 0) {
            throw bad("delta.json patches '" + file.path() + "' against the empty file '" + file.from() + "'");
        }
    }

    /** The content of a file's entry, checked as it is read (size, CRC-32, and the target's SHA-256 for whole). */
    EntryStream open(DeltaFile file) {
        return new EntryStream(channel, entries.get(file.entryName()),
                DeltaFile.WHOLE.equals(file.how()) ? file.sha256() : null);
    }

    long patches() {
        return changed.values().stream().filter(file -> DeltaFile.PATCH.equals(file.how())).count();
    }

    String name() {
        return name;
    }

    /**
     * A refusal by the package's checks, said of this delta: the package's advice (rebuild with create_update) does
     * not apply to a delta, which the server made. Mismatches and the delta's own refusals are returned as they are.
     */
    static InvalidPackageException refusal(String name, InvalidPackageException e) {
        if (e instanceof DeltaMismatchException || e.getMessage().startsWith("delta '")) {
            return e;
        }
        return bad(name, PACKAGE_ADVICE.matcher(e.getMessage()).replaceAll(""), e);
    }

    InvalidPackageException bad(String what) {
        return bad(name, what, null);
    }

    static InvalidPackageException bad(String name, String what, Throwable cause) {
        return new InvalidPackageException("delta '" + name + "' is not valid (" + what + "): it is not used; "
                + "install the full package (the agent does unless DELTA_FALLBACK=refuse), and tell the server's "
                + "operator if it recurs", cause);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
