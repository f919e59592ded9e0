package dev.javia.ota.protocol.delta;

import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.PackageExtractor;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.Version;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Releases for delta tests: a map of files built into a real package, installed with the real extractor. */
public final class DeltaReleases {

    public static final PackageLimits LIMITS = PackageLimits.defaults();

    /** A release's files: path to content, and which are executable. */
    public static final class Tree {
        public final Map<String, byte[]> files = new TreeMap<>();
        public final java.util.Set<String> executable = new java.util.TreeSet<>();

        public Tree put(String path, String content) {
            return put(path, content.getBytes(StandardCharsets.UTF_8));
        }

        public Tree put(String path, byte[] content) {
            files.put(path, content);
            return this;
        }

        public Tree executable(String path, boolean on) {
            if (on) {
                executable.add(path);
            } else {
                executable.remove(path);
            }
            return this;
        }

        public Tree remove(String path) {
            files.remove(path);
            executable.remove(path);
            return this;
        }

        public Tree copy() {
            Tree copy = new Tree();
            files.forEach((path, content) -> copy.files.put(path, content.clone()));
            copy.executable.addAll(executable);
            return copy;
        }

        /** Builds the package of this tree as {@code version} into {@code dir}/update_VERSION.zip. */
        public Path build(Path dir, String version) throws IOException {
            Path source = dir.resolve("source-" + version);
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                Path path = source.resolve(file.getKey());
                Files.createDirectories(path.getParent());
                Files.write(path, file.getValue());
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(
                        executable.contains(file.getKey()) ? "rwxr-xr-x" : "rw-r--r--"));
            }
            Path zip = dir.resolve("update_" + version + ".zip");
            PackageBuilder.buildFile(source, Version.parse(version), UpdateType.SCHEDULED, "release " + version,
                    List.of(), Instant.parse("2026-01-01T00:00:00Z"), zip);
            return zip;
        }
    }

    /** The sample application: a few Python files, a script, a small model. */
    public static Tree sample() {
        return new Tree()
                .put("client.py", python(200, 1))
                .put("audio/codec.py", python(80, 2))
                .put("audio/player.py", python(120, 3))
                .put("requirements.txt", "requests==2.32.3\n")
                .put("models/wake.bin", random(256 * 1024, 4))
                .put("run.sh", "#!/bin/sh\nexec python3 client.py\n").executable("run.sh", true);
    }

    /** Deterministic Python-like text of {@code lines} lines. */
    public static String python(int lines, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        String[] words = {"audio", "buffer", "frame", "self", "return", "stream", "device", "sample", "rate",
                "volume", "wake", "word", "model", "config", "logger", "event", "queue", "timeout"};
        StringBuilder text = new StringBuilder("import logging\nimport time\n\n");
        for (int i = 0; i < lines; i++) {
            text.append("    ").append(words[random.nextInt(words.length)]).append('_')
                    .append(words[random.nextInt(words.length)]).append(" = ")
                    .append(words[random.nextInt(words.length)]).append('(').append(random.nextInt(1000))
                    .append(")  # line ").append(i).append('\n');
        }
        return text.toString();
    }

    public static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < size; i += 8) {
            long value = random.nextLong();
            for (int j = 0; j < 8 && i + j < size; j++) {
                bytes[i + j] = (byte) (value >>> (8 * j));
            }
        }
        return bytes;
    }

    /** {@code bytes} with {@code count} runs of {@code run} bytes changed at deterministic places. */
    public static byte[] changed(byte[] bytes, int count, int run, long seed) {
        byte[] copy = bytes.clone();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            int at = random.nextInt(copy.length - run);
            for (int j = 0; j < run; j++) {
                copy[at + j] = (byte) random.nextInt();
            }
        }
        return copy;
    }

    /** The package installed as a release directory, with the real extractor. */
    public static Path install(Path zip, Path dir) {
        PackageExtractor.extract(zip, dir, LIMITS);
        return dir;
    }

    /** Each file of the tree under {@code dir}: path to "sha256 mode" (and directories as "dir"). */
    public static Map<String, String> describe(Path dir) throws IOException {
        Map<String, String> tree = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (path.equals(dir)) {
                    continue;
                }
                String relative = dir.relativize(path).toString();
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(path,
                        LinkOption.NOFOLLOW_LINKS));
                tree.put(relative, Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) ? "dir " + mode
                        : Sha256.of(path) + " " + mode);
            }
        }
        return tree;
    }

    /** The entries of a ZIP, in order, by name. */
    public static Map<String, byte[]> entries(Path zip) throws IOException {
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        try (java.util.zip.ZipFile file = new java.util.zip.ZipFile(zip.toFile())) {
            for (java.util.zip.ZipEntry entry : java.util.Collections.list(file.entries())) {
                try (java.io.InputStream in = file.getInputStream(entry)) {
                    entries.put(entry.getName(), in.readAllBytes());
                }
            }
        }
        return entries;
    }

    /** Writes {@code entries} as a plain ZIP (java.util.zip). */
    public static Path write(Path zip, Map<String, byte[]> entries) throws IOException {
        try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                out.putNextEntry(new java.util.zip.ZipEntry(entry.getKey()));
                out.write(entry.getValue());
                out.closeEntry();
            }
        }
        return zip;
    }

    /** delta.json of {@code entries}, changed by {@code edit} (on its JSON tree) and put back. */
    public static Map<String, byte[]> editJson(Map<String, byte[]> entries,
            java.util.function.Consumer<tools.jackson.databind.node.ObjectNode> edit) {
        tools.jackson.databind.json.JsonMapper mapper = dev.javia.ota.protocol.pkg.PackageJson.mapper();
        tools.jackson.databind.node.ObjectNode json = (tools.jackson.databind.node.ObjectNode) mapper.readTree(
                entries.get("delta.json"));
        edit.accept(json);
        Map<String, byte[]> copy = new java.util.LinkedHashMap<>(entries);
        copy.put("delta.json", mapper.writeValueAsBytes(json));
        return copy;
    }

    private DeltaReleases() {
    }
}
