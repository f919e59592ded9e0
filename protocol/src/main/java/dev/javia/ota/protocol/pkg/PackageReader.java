package dev.javia.ota.protocol.pkg;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks shared by {@link PackageInspector} and {@link PackageExtractor}. {@link #open} checks everything
 * that can be checked before the files are read (the ZIP's structure, see {@link ZipDirectory}; names, types and
 * modes; metadata; manifest against entries); {@link #readFiles} then hands each file's content to a sink through
 * an {@link EntryStream} that checks it against the manifest, so an extractor never writes a byte of a package whose
 * structure is wrong, and learns of wrong content before it finishes. Every read is bounded by the
 * {@link PackageLimits}; file contents are streamed. Public for {@code dev.javia.ota.protocol.delta}, which reads deltas with the same rules.
 */
public final class PackageReader implements Closeable {

    private static final long MAX_VERSION_FILE_BYTES = 64;
    /** An update needs a handful; each becomes an apt-get argument, and a command line has a length limit. */
    static final int MAX_SYSTEM_PACKAGES = 100;
    private static final int UNIX_TYPE_MASK = 0170000;
    private static final int UNIX_REGULAR = 0100000;
    private static final int UNIX_DIRECTORY = 0040000;
    private static final int UNIX_SPECIAL_BITS = 07000;
    private static final int DOS_DIRECTORY = 0x10;

    /** Receives one file; the stream fails if the content differs from the manifest. */
    interface FileSink {
        void accept(ManifestEntry entry, InputStream content) throws IOException;
    }

    private final FileChannel channel;
    private final String metadataSha256;
    private final UpdateMetadata metadata;
    private final Map<ManifestEntry, ZipDirectory.Entry> files;
    private final Map<ManifestEntry, ZipDirectory.Entry> agentFiles;
    private final List<String> directories;

    private PackageReader(FileChannel channel, String metadataSha256, UpdateMetadata metadata,
                          Map<ManifestEntry, ZipDirectory.Entry> files, Map<ManifestEntry, ZipDirectory.Entry> agentFiles,
                          List<String> directories) {
        this.channel = channel;
        this.metadataSha256 = metadataSha256;
        this.metadata = metadata;
        this.files = files;
        this.agentFiles = agentFiles;
        this.directories = directories;
    }

    static PackageReader open(Path zip, PackageLimits limits) throws IOException {
        return open(zip, limits, PackageTrust.none());
    }

    /**
     * As {@link #open(Path, PackageLimits)}, and {@code trust} checks the SHA-256 of {@code update_metadata.json}
     * (the signed message) before its JSON is parsed: an untrusted package is refused before any of its content is
     * interpreted.
     */
    public static PackageReader open(Path zip, PackageLimits limits, PackageTrust trust) throws IOException {
        if (!Files.isRegularFile(zip)) {
            throw new InvalidPackageException("package file '" + zip + "' does not exist or is not a file: "
                    + "give the path of the update_vX.Y.Z.zip that create_update built");
        }
        FileChannel channel = FileChannel.open(zip, StandardOpenOption.READ);
        try {
            // the size of what is open, not of what the name pointed at a moment before
            long size = channel.size();
            if (size > limits.maxPackageBytes()) {
                throw new InvalidPackageException("the package is " + size + " bytes, more than the limit of "
                        + limits.maxPackageBytes() + " bytes: leave large files out of the update");
            }
            List<ZipDirectory.Entry> entries = ZipDirectory.read(channel, limits);
            checkEntries(entries, limits);
            ZipDirectory.Entry metadataEntry = null;
            Map<String, ZipDirectory.Entry> fileEntries = new LinkedHashMap<>();
            List<String> directories = new ArrayList<>();
            for (ZipDirectory.Entry entry : entries) {
                if (entry.name().equals(PackageLayout.METADATA)) {
                    metadataEntry = entry;
                } else if (entry.name().equals(PackageLayout.AGENT_DIR)) {
                    // javia_agent/ itself, listed on its own: it holds files only (PackagePaths)
                    checkEmpty(channel, entry);
                } else if (entry.directory()) {
                    checkEmpty(channel, entry);
                    directories.add(relative(entry.name()));
                } else {
                    fileEntries.put(entry.name(), entry);
                }
            }
            if (metadataEntry == null) {
                throw new InvalidPackageException("the package has no " + PackageLayout.METADATA
                        + ": build it with create_update");
            }
            CheckedMetadata checked = readMetadata(channel, metadataEntry, limits, trust);
            String metadataSha256 = checked.sha256();
            UpdateMetadata metadata = checked.metadata();
            Map<String, ZipDirectory.Entry> appEntries = new LinkedHashMap<>();
            Map<String, ZipDirectory.Entry> agentEntries = new LinkedHashMap<>();
            fileEntries.forEach((name, entry) -> (name.startsWith(PackageLayout.AGENT_DIR) ? agentEntries : appEntries)
                    .put(name, entry));
            if (!metadata.includesApp() && !directories.isEmpty()) {
                throw new InvalidPackageException("the package says app_included=false but has "
                        + PackageLayout.APP_DIR + " entries: rebuild it with create_update");
            }
            Map<ManifestEntry, ZipDirectory.Entry> files = matchManifest(metadata.files(), ManifestEntry::entryName,
                    appEntries);
            Map<ManifestEntry, ZipDirectory.Entry> agentFiles = matchManifest(
                    metadata.agent() == null ? List.of() : metadata.agent().files(), AgentRelease::entryName,
                    agentEntries);
            return new PackageReader(channel, metadataSha256, metadata, files, agentFiles, directories);
        } catch (RuntimeException | IOException e) {
            channel.close();
            throw e;
        }
    }

    public UpdateMetadata metadata() {
        return metadata;
    }

    /** The SHA-256 of {@code update_metadata.json}'s bytes: what a package signature signs. */
    public String metadataSha256() {
        return metadataSha256;
    }

    /** Directories the ZIP lists on their own, relative to {@code pi_client/} ({@code ""} for pi_client/ itself). */
    List<String> directories() {
        return directories;
    }

    /** Hands each file of {@code pi_client/} to {@code sink}. */
    void readFiles(FileSink sink) throws IOException {
        read(files, sink, PackageLayout.APP_DIR, metadata.version());
    }

    /** Hands each file of {@code javia_agent/} to {@code sink} (none when the package carries no agent release). */
    void readAgentFiles(FileSink sink) throws IOException {
        read(agentFiles, sink, PackageLayout.AGENT_DIR, metadata.agent() == null ? null : metadata.agent().version());
    }

    private void read(Map<ManifestEntry, ZipDirectory.Entry> part, FileSink sink, String dir, String version)
            throws IOException {
        for (Map.Entry<ManifestEntry, ZipDirectory.Entry> file : part.entrySet()) {
            ManifestEntry expected = file.getKey();
            try (EntryStream content = new EntryStream(channel, file.getValue(), expected.sha256())) {
                if (expected.path().equals(PackageLayout.VERSION_FILE)) {
                    byte[] bytes = content.readAllBytes();
                    checkVersionFile(bytes, dir, version);
                    sink.accept(expected, new ByteArrayInputStream(bytes));
                } else {
                    sink.accept(expected, content);
                    content.readToEnd();
                }
            }
        }
    }

    /**
     * The content of one file of {@code pi_client/} (an entry of {@link #metadata()}'s manifest), read on its own;
     * the stream fails as {@link #readFiles} does when the content differs from the manifest. Close it.
     */
    public EntryStream openFile(ManifestEntry file) {
        ZipDirectory.Entry entry = files.get(file);
        if (entry == null) {
            throw new IllegalArgumentException("'" + file.path() + "' is not a file of this package's manifest");
        }
        return new EntryStream(channel, entry, file.sha256());
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** {@code update_metadata.json} once read and checked: the SHA-256 of its bytes and what it says. */
    public record CheckedMetadata(String sha256, UpdateMetadata metadata) {
    }

    /**
     * Reads {@code update_metadata.json} from {@code entry} with every check a package's gets: its size, {@code trust}
     * on its SHA-256 before its JSON is parsed, the JSON within {@code limits}, then the metadata and manifest rules
     * and the unpacked total.
     */
    public static CheckedMetadata readMetadata(FileChannel channel, ZipDirectory.Entry entry, PackageLimits limits,
                                               PackageTrust trust) throws IOException {
        String sha256 = metadataSha256(channel, entry, limits);
        trust.check(sha256);
        UpdateMetadata metadata = readMetadata(channel, entry, limits);
        checkMetadata(metadata);
        checkTotal(metadata, limits);
        return new CheckedMetadata(sha256, metadata);
    }

    /** An entry's type and mode as a package's entries must have them: a file or a directory, 0644 or 0755 at most. */
    public static void checkEntry(ZipDirectory.Entry entry) {
        checkType(entry);
        if (entry.directory() && entry.size() != 0) {
            throw new InvalidPackageException("entry '" + entry.name() + "' is a directory but holds " + entry.size()
                    + " bytes of data: rebuild the package with create_update");
        }
    }

    /** Names, types and modes, entry by entry; the ZIP's structure was checked by {@link ZipDirectory}. */
    private static void checkEntries(List<ZipDirectory.Entry> entries, PackageLimits limits) {
        EntryNames names = new EntryNames();
        for (ZipDirectory.Entry entry : entries) {
            String name = entry.name();
            String problem = PackagePaths.entryProblem(name);
            if (problem != null) {
                throw new InvalidPackageException("entry '" + name + "' " + problem + ": rebuild it with create_update");
            }
            names.add(name);
            checkEntry(entry);
        }
        names.check(limits.maxEntries());
    }

    /**
     * Only files and directories, as their names say, without setuid, setgid or sticky bits: other extractors
     * apply the ZIP's modes (the agent takes them from the manifest).
     */
    private static void checkType(ZipDirectory.Entry entry) {
        String name = entry.name();
        int mode = entry.unixMode();
        int type = mode & UNIX_TYPE_MASK;
        if (entry.symlink()) {
            throw new InvalidPackageException("entry '" + name + "' is a symbolic link, which a package must not "
                    + "contain: replace the link with the file and rebuild with create_update");
        }
        if (type != 0 && type != UNIX_REGULAR && type != UNIX_DIRECTORY) {
            throw new InvalidPackageException("entry '" + name + "' is a " + special(type) + " (Unix mode "
                    + Integer.toOctalString(mode) + "), which a package must not contain: only files and directories "
                    + "are installed; rebuild the package with create_update");
        }
        boolean markedDirectory = type == UNIX_DIRECTORY || (entry.externalAttributes() & DOS_DIRECTORY) != 0;
        if ((type != 0 && (type == UNIX_DIRECTORY) != entry.directory()) || (markedDirectory && !entry.directory())) {
            throw new InvalidPackageException("entry '" + name + "' is named as a " + (entry.directory() ? "directory"
                    : "file") + " but its attributes mark it as a " + (entry.directory() ? "file" : "directory")
                    + " (readers would disagree): rebuild the package with create_update");
        }
        if ((mode & UNIX_SPECIAL_BITS) != 0) {
            throw new InvalidPackageException("entry '" + name + "' has the setuid, setgid or sticky bit (Unix mode "
                    + Integer.toOctalString(mode) + "): a package's modes are 0644 and 0755 only; rebuild it with "
                    + "create_update");
        }
    }

    private static String special(int type) {
        switch (type) {
            case 0010000:
                return "FIFO (named pipe)";
            case 0020000:
                return "character device file";
            case 0060000:
                return "block device file";
            case 0140000:
                return "socket";
            default:
                return "special file";
        }
    }

    /** A directory entry must inflate to nothing: data there is data that no extractor writes, or one does. */
    private static void checkEmpty(FileChannel channel, ZipDirectory.Entry directory) throws IOException {
        try (EntryStream content = new EntryStream(channel, directory)) {
            content.readToEnd();
        }
    }

    private static String metadataSha256(FileChannel channel, ZipDirectory.Entry entry, PackageLimits limits)
            throws IOException {
        checkMetadataSize(entry, limits);
        java.security.MessageDigest digest = Sha256.newDigest();
        byte[] buffer = new byte[16 * 1024];
        try (EntryStream json = new EntryStream(channel, entry)) {
            for (int n; (n = json.read(buffer)) != -1; ) {
                digest.update(buffer, 0, n);
            }
        }
        return Sha256.hex(digest);
    }

    private static void checkMetadataSize(ZipDirectory.Entry entry, PackageLimits limits) {
        if (entry.size() > limits.maxMetadataBytes()) {
            throw new InvalidPackageException(PackageLayout.METADATA + " is " + entry.size() + " bytes, more than "
                    + "the limit of " + limits.maxMetadataBytes() + ": rebuild the package with create_update");
        }
    }

    private static UpdateMetadata readMetadata(FileChannel channel, ZipDirectory.Entry entry, PackageLimits limits)
            throws IOException {
        checkMetadataSize(entry, limits);
        try (EntryStream json = new EntryStream(channel, entry)) {
            UpdateMetadata metadata = PackageJson.read(json, limits);
            json.readToEnd();
            return metadata;
        }
    }

    private static void checkMetadata(UpdateMetadata metadata) {
        String file = PackageLayout.METADATA;
        String rebuild = ": rebuild the package with create_update";
        if (metadata.formatVersion() > PackageLayout.NEWEST_FORMAT_VERSION) {
            throw new InvalidPackageException(file + " has format_version " + metadata.formatVersion()
                    + ", newer than the " + PackageLayout.NEWEST_FORMAT_VERSION + " this program reads: update this "
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
        if (metadata.systemPackages().size() > MAX_SYSTEM_PACKAGES) {
            throw new InvalidPackageException(file + " lists " + metadata.systemPackages().size() + " system "
                    + "packages, more than the limit of " + MAX_SYSTEM_PACKAGES + rebuild);
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
        checkAgentPart(metadata);
        checkManifest(metadata.files(), "");
        if (!metadata.includesApp()) {
            return;
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

    /**
     * An agent release comes with format 2 and only with it (a format-2 package without one would be kept from old
     * agents for nothing); it names a version, holds the fixed files of {@link AgentRelease} and no others, and an
     * agent-only package ({@code app_included} false) lists no app files.
     */
    private static void checkAgentPart(UpdateMetadata metadata) {
        String file = PackageLayout.METADATA;
        String rebuild = ": rebuild the package with create_update";
        AgentRelease agent = metadata.agent();
        boolean agentFormat = metadata.formatVersion() >= PackageLayout.AGENT_FORMAT_VERSION;
        if (agentFormat != (agent != null)) {
            throw new InvalidPackageException(file + " has format_version " + metadata.formatVersion() + (agent == null
                    ? " but no agent release" : " but carries an agent release, which needs format_version "
                    + PackageLayout.AGENT_FORMAT_VERSION) + rebuild);
        }
        if (agent == null) {
            if (metadata.appIncluded() != null) {
                throw new InvalidPackageException(file + " has app_included without an agent release" + rebuild);
            }
            return;
        }
        if (Version.tryParse(agent.version()).isEmpty()) {
            throw new InvalidPackageException(file + " has agent version '" + agent.version()
                    + "', not vMAJOR.MINOR.PATCH (e.g. v0.2.0)" + rebuild);
        }
        if (!metadata.includesApp() && !metadata.files().isEmpty()) {
            throw new InvalidPackageException(file + " says app_included=false but lists " + metadata.files().size()
                    + " app files" + rebuild);
        }
        checkManifest(agent.files(), "agent ");
        for (ManifestEntry entry : agent.files()) {
            if (!AgentRelease.FILE_NAMES.contains(entry.path())) {
                throw new InvalidPackageException("agent manifest path '" + entry.path() + "' is not one of "
                        + String.join(", ", new java.util.TreeSet<>(AgentRelease.FILE_NAMES)) + rebuild);
            }
            if (entry.path().equals(AgentRelease.VERSION_FILE) && entry.size() > MAX_VERSION_FILE_BYTES) {
                throw new InvalidPackageException(PackageLayout.AGENT_DIR + AgentRelease.VERSION_FILE + " is "
                        + entry.size() + " bytes; it holds one version line" + rebuild);
            }
        }
        for (String required : new java.util.TreeSet<>(AgentRelease.REQUIRED)) {
            if (!agent.has(required)) {
                throw new InvalidPackageException("the agent release has no " + PackageLayout.AGENT_DIR + required
                        + rebuild);
            }
        }
    }

    /** Each entry of one manifest (the app's or the agent's): a path that may be written, size, SHA-256, mode. */
    private static void checkManifest(List<ManifestEntry> manifest, String which) {
        String rebuild = ": rebuild the package with create_update";
        String file = PackageLayout.METADATA;
        Set<String> paths = new HashSet<>();
        for (ManifestEntry entry : manifest) {
            if (entry == null) {
                throw new InvalidPackageException(file + " has an empty " + which + "manifest entry" + rebuild);
            }
            String problem = PackagePaths.problem(entry.path());
            if (problem != null) {
                throw new InvalidPackageException(which + "manifest path '" + entry.path() + "' " + problem + rebuild);
            }
            if (!paths.add(entry.path())) {
                throw new InvalidPackageException(which + "manifest lists '" + entry.path() + "' twice" + rebuild);
            }
            if (entry.size() < 0) {
                throw new InvalidPackageException(which + "manifest gives '" + entry.path() + "' a negative size"
                        + rebuild);
            }
            if (!Sha256.isHex(entry.sha256())) {
                throw new InvalidPackageException(which + "manifest gives '" + entry.path() + "' a SHA-256 that is "
                        + "not 64 lower-case hex digits" + rebuild);
            }
            if (!ManifestEntry.REGULAR.equals(entry.mode()) && !ManifestEntry.EXECUTABLE.equals(entry.mode())) {
                throw new InvalidPackageException(which + "manifest gives '" + entry.path() + "' mode '"
                        + entry.mode() + "'; only " + ManifestEntry.REGULAR + " and " + ManifestEntry.EXECUTABLE
                        + " are installed" + rebuild);
            }
        }
    }

    /** The app's and the agent's files together, against the limit of what a package may unpack to. */
    private static void checkTotal(UpdateMetadata metadata, PackageLimits limits) {
        long total = 0;
        for (ManifestEntry entry : metadata.files()) {
            total += entry.size();
        }
        for (ManifestEntry entry : metadata.agent() == null ? List.<ManifestEntry>of() : metadata.agent().files()) {
            total += entry.size();
        }
        if (total > limits.maxUnpackedBytes()) {
            throw new InvalidPackageException("the package unpacks to " + total + " bytes, more than the limit of "
                    + limits.maxUnpackedBytes() + ": leave large files out of the update");
        }
    }

    /** One part's manifest (app or agent) against that part's entries: each entry listed once, each listed there. */
    private static Map<ManifestEntry, ZipDirectory.Entry> matchManifest(List<ManifestEntry> manifest,
            java.util.function.Function<ManifestEntry, String> entryName, Map<String, ZipDirectory.Entry> entries) {
        Map<String, ManifestEntry> byName = new HashMap<>();
        for (ManifestEntry entry : manifest) {
            byName.put(entryName.apply(entry), entry);
        }
        for (String name : entries.keySet()) {
            if (!byName.containsKey(name)) {
                throw new InvalidPackageException("entry '" + name + "' is not in the manifest of "
                        + PackageLayout.METADATA + ": rebuild the package with create_update");
            }
        }
        Map<ManifestEntry, ZipDirectory.Entry> files = new LinkedHashMap<>();
        for (ManifestEntry expected : manifest) {
            ZipDirectory.Entry entry = entries.get(entryName.apply(expected));
            if (entry == null) {
                throw new InvalidPackageException("the manifest lists '" + expected.path() + "' but the package has "
                        + "no entry '" + entryName.apply(expected) + "': rebuild the package with create_update");
            }
            if (entry.size() != expected.size()) {
                throw new InvalidPackageException("entry '" + entry.name() + "' declares " + entry.size()
                        + " bytes but the manifest says " + expected.size() + ": rebuild the package with create_update");
            }
            files.put(expected, entry);
        }
        return files;
    }

    private static void checkVersionFile(byte[] bytes, String dir, String version) {
        String content = new String(bytes, StandardCharsets.UTF_8).strip();
        if (!content.equals(version)) {
            String shown = content.isEmpty() ? "nothing" : "'" + content + "'";
            throw new InvalidPackageException(dir + PackageLayout.VERSION_FILE + " says " + shown
                    + " but " + PackageLayout.METADATA + " says '" + version + "': rebuild the package "
                    + "with create_update, which writes VERSION itself");
        }
    }

    private static String relative(String entryName) {
        String bare = entryName.substring(0, entryName.length() - 1);
        return bare.length() < PackageLayout.APP_DIR.length() ? "" : bare.substring(PackageLayout.APP_DIR.length());
    }
}
