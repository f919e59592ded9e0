package dev.javia.ota.protocol.pkg;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The files of a source directory that go into a package, and those that never do.
 *
 * <p>Never packaged, at any depth: {@code .env} and {@code .env.*} (secrets), {@code .git}, {@code __pycache__},
 * {@code *.pyc}, {@code *.pyo}, {@code .pytest_cache}, {@code .mypy_cache}, {@code .ruff_cache}, {@code .venv},
 * {@code .DS_Store}, {@code ._*}, {@code Thumbs.db}, {@code *~}, {@code *.swp}, {@code *.swo}, {@code .idea},
 * {@code .vscode}; and the top-level {@code VERSION}, which the builder writes itself. Empty directories are not
 * packaged either.
 *
 * <p>Symbolic links: a link whose target lies inside the source directory is followed, and its target's content is
 * packaged under the link's name (a package holds no links). A link that leaves the source directory, a dangling
 * link and a link loop are errors, as is anything that is neither a file nor a directory.
 *
 * @param files   what goes into the package, sorted by path
 * @param skipped paths left out, relative to the source directory, sorted
 */
public record PackageSource(Path root, List<SourceFile> files, List<String> skipped) {

    /** The exclusion list, for help texts. */
    public static final String NEVER_PACKAGED = ".env .env.* .git __pycache__ *.pyc *.pyo .pytest_cache .mypy_cache "
            + ".ruff_cache .venv .DS_Store ._* Thumbs.db *~ *.swp *.swo .idea .vscode";

    private static final Set<String> EXCLUDED_NAMES = Set.of(".env", ".git", "__pycache__", ".pytest_cache",
            ".mypy_cache", ".ruff_cache", ".venv", ".DS_Store", "Thumbs.db", ".idea", ".vscode");
    private static final List<String> EXCLUDED_SUFFIXES = List.of(".pyc", ".pyo", "~", ".swp", ".swo");
    private static final List<String> EXCLUDED_PREFIXES = List.of(".env.", "._");

    /**
     * @param path       relative to the source directory, '/'-separated: the path in the manifest
     * @param file       where the content is read from (a link's target, when the source had a link)
     * @param executable whether the owner may execute it; the package normalises modes to 0755 or 0644
     */
    public record SourceFile(String path, Path file, boolean executable) {
    }

    public PackageSource {
        files = List.copyOf(files);
        skipped = List.copyOf(skipped);
    }

    /** Whether a file or directory of this name is never packaged, wherever it is. */
    public static boolean excludes(String name) {
        return EXCLUDED_NAMES.contains(name)
                || EXCLUDED_SUFFIXES.stream().anyMatch(name::endsWith)
                || EXCLUDED_PREFIXES.stream().anyMatch(name::startsWith);
    }

    /**
     * @throws IllegalArgumentException when the directory is missing, has nothing to package, or holds a link that
     *                                  leaves it, a dangling link, a link loop, a special file or a name that a
     *                                  package cannot carry; the message says which and what to do
     */
    public static PackageSource scan(Path sourceDir) throws IOException {
        if (!Files.isDirectory(sourceDir)) {
            throw new IllegalArgumentException("source directory '" + sourceDir + "' does not exist or is not a "
                    + "directory: run from the folder that holds pi_client/, or pass --source DIR");
        }
        Path realRoot = sourceDir.toRealPath();
        List<SourceFile> files = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Set<Path> ancestors = new HashSet<>();
        ancestors.add(realRoot);
        walk(realRoot, realRoot, "", ancestors, files, skipped);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("source directory '" + sourceDir + "' has no files to package"
                    + (skipped.isEmpty() ? "" : " (skipped: " + String.join(", ", skipped) + ")")
                    + ": point --source at the application files (pi_client/)");
        }
        files.sort(Comparator.comparing(SourceFile::path));
        skipped.sort(Comparator.naturalOrder());
        return new PackageSource(sourceDir, files, skipped);
    }

    /** Walks real directories only, so that every path checked against the root is already resolved. */
    private static void walk(Path dir, Path realRoot, String prefix, Set<Path> ancestors,
                             List<SourceFile> files, List<String> skipped) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(children::add);
        }
        for (Path child : children) {
            String name = child.getFileName().toString();
            String path = prefix + name;
            if (excludes(name) || (prefix.isEmpty() && name.equals(PackageLayout.VERSION_FILE))) {
                skipped.add(path);
                continue;
            }
            String problem = PackagePaths.problem(path);
            if (problem != null) {
                throw new IllegalArgumentException("'" + path + "' " + problem + ", which a package cannot carry: "
                        + "rename it");
            }
            Path real = realTarget(child, path, realRoot);
            if (Files.isDirectory(real)) {
                if (!ancestors.add(real)) {
                    throw new IllegalArgumentException("'" + path + "' is a link to one of its own parent "
                            + "directories (a loop): remove the link");
                }
                walk(real, realRoot, path + "/", ancestors, files, skipped);
                ancestors.remove(real);
            } else if (Files.isRegularFile(real)) {
                files.add(new SourceFile(path, real, ownerExecutable(real)));
            } else {
                throw new IllegalArgumentException("'" + path + "' is neither a file nor a directory (a socket, "
                        + "pipe or device): remove it from the source directory");
            }
        }
    }

    private static Path realTarget(Path child, String path, Path realRoot) throws IOException {
        if (!Files.isSymbolicLink(child)) {
            return child;
        }
        Path real;
        try {
            real = child.toRealPath();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("'" + path + "' is a link to '" + Files.readSymbolicLink(child)
                    + "', which does not exist: remove the link or restore its target");
        }
        if (!real.startsWith(realRoot)) {
            throw new IllegalArgumentException("'" + path + "' is a link to '" + real + "', outside the source "
                    + "directory: copy the file into the source directory instead of linking to it");
        }
        return real;
    }

    private static boolean ownerExecutable(Path file) throws IOException {
        if (!file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return false;
        }
        return Files.getPosixFilePermissions(file).contains(PosixFilePermission.OWNER_EXECUTE);
    }
}
