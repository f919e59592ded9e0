package dev.javia.ota.protocol.pkg;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The names of a package's entries, checked together. Refuses a name given twice, a name that is both a file and a
 * directory, two names (or two of their directories) that differ only by case or by Unicode normalization
 * ({@code café} written NFC and NFD: on macOS, Windows or a FAT card they are one file, and which content wins
 * depends on the order of extraction), and more directories, listed or implied by the paths, than a package may
 * create.
 *
 * <p>The names are sorted by their folded segments, with the segment separator ordered before every character: then
 * names that share a folded directory follow each other, and comparing each name with the one before finds every
 * clash. Memory: one folded copy of each name, whatever the depth of the paths (a tree of segments would cost an
 * object for each {@code a/} of a name like {@code a/a/a/...}). Public for {@code dev.javia.ota.protocol.delta}, which reads deltas with the same rules.
 */
public final class EntryNames {

    /** Never in a name (control characters are refused), so it orders a directory before its siblings' names. */
    private static final char SEPARATOR = '\0';

    /**
     * @param key  the folded segments joined by {@link #SEPARATOR}; a directory entry's key ends with it
     * @param name the entry name as the ZIP gives it
     */
    private record Named(String key, String name) {

        boolean directory() {
            return name.endsWith("/");
        }

        String[] segments() {
            return (directory() ? name.substring(0, name.length() - 1) : name).split("/");
        }

        int directories() {
            int segments = segments().length;
            return directory() ? segments : segments - 1;
        }
    }

    private final List<Named> names = new ArrayList<>();

    /** @param name an entry name that {@link PackagePaths#entryProblem} accepted; directories end in '/' */
    public void add(String name) {
        names.add(new Named(key(name), name));
    }

    /** @throws InvalidPackageException when two names clash, or there are more than {@code maxDirectories} */
    public void check(int maxDirectories) {
        names.sort(Comparator.comparing(Named::key));
        Named previous = null;
        long directories = 0;
        for (Named current : names) {
            int shared = previous == null ? 0 : compare(previous, current);
            directories += current.directories() - Math.min(shared, Math.min(previous == null ? 0
                    : previous.directories(), current.directories()));
            previous = current;
        }
        if (directories > maxDirectories) {
            throw new InvalidPackageException("the package has " + directories + " directories (listed or implied "
                    + "by its paths), more than the limit of " + maxDirectories + ": package fewer directories");
        }
    }

    /** Refuses a clash between neighbours; returns how many leading segments they share. */
    private static int compare(Named previous, Named current) {
        if (previous.key().equals(current.key())) {
            throw previous.name().equals(current.name())
                    ? rebuild("entry '" + current.name() + "' appears twice")
                    : collision(previous.name(), current.name());
        }
        String[] a = previous.segments();
        String[] b = current.segments();
        int shared = 0;
        while (shared < a.length && shared < b.length && fold(a[shared]).equals(fold(b[shared]))) {
            if (!a[shared].equals(b[shared])) {
                throw collision(prefix(a, shared + 1), prefix(b, shared + 1));
            }
            shared++;
        }
        if (!previous.directory() && shared == a.length && b.length > a.length) {
            throw rebuild("entry '" + previous.name() + "' is a file and also the directory of '" + current.name()
                    + "'");
        }
        if (!previous.directory() && shared == a.length && current.directory() && b.length == a.length) {
            throw rebuild("entry '" + previous.name() + "' is both a file and a directory");
        }
        return shared;
    }

    private static InvalidPackageException collision(String a, String b) {
        return new InvalidPackageException("entries '" + a + "' and '" + b + "' differ only by case or Unicode "
                + "normalization (NFC/NFD), so they are one file on macOS, Windows or a FAT card: rename one of them "
                + "and rebuild the package with create_update");
    }

    private static String prefix(String[] segments, int count) {
        return String.join("/", java.util.Arrays.copyOf(segments, count));
    }

    private static String key(String name) {
        boolean directory = name.endsWith("/");
        String[] segments = (directory ? name.substring(0, name.length() - 1) : name).split("/");
        StringBuilder key = new StringBuilder(name.length() + 1);
        for (int i = 0; i < segments.length; i++) {
            key.append(i == 0 ? "" : String.valueOf(SEPARATOR)).append(fold(segments[i]));
        }
        return directory ? key.append(SEPARATOR).toString() : key.toString();
    }

    /**
     * Case folded character by character, as case-insensitive file systems compare names (simple folding: the
     * Kelvin sign is a k, but {@code ß} is not {@code ss}), after composing accents (NFC).
     */
    private static String fold(String segment) {
        String composed = Normalizer.normalize(segment, Normalizer.Form.NFC);
        StringBuilder folded = new StringBuilder(composed.length());
        composed.codePoints().forEach(c -> folded.appendCodePoint(Character.toLowerCase(Character.toUpperCase(c))));
        return Normalizer.normalize(folded, Normalizer.Form.NFC);
    }

    private static InvalidPackageException rebuild(String what) {
        return new InvalidPackageException(what + ": rebuild the package with create_update");
    }
}
