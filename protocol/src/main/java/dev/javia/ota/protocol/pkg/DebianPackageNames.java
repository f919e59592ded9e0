package dev.javia.ota.protocol.pkg;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The apt package names an update may ask for. Checked on every side (packager, server, agent) because a name
 * reaches an {@code apt-get} command line: {@code pkg-} would remove a package, {@code -o...} would be an option and
 * {@code zlib1.+} a regular expression.
 */
public final class DebianPackageNames {

    /** Debian policy 5.6.1 for the name; a version pin must start with a digit and must not end in '-'. */
    public static final String RULE = "lower-case letters, digits and + . - (at least two characters, starting with a "
            + "letter or digit, not ending in '-' or '.'), optionally '=VERSION' where VERSION starts with a digit "
            + "and does not end in '-'";

    private static final Pattern NAME = Pattern.compile(
            "[a-z0-9][a-z0-9+.-]*[a-z0-9+](=[0-9]([A-Za-z0-9.+~:-]*[A-Za-z0-9.+~])?)?");

    private DebianPackageNames() {
    }

    public static boolean isValid(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /**
     * Parses the seed's comma-separated form ({@code "libopus0, libopus-dev"}). Null or blank gives an empty list;
     * blanks around names and empty items are ignored, repeated names are kept once, in their first position.
     *
     * @throws IllegalArgumentException naming the first name Debian would not accept, and the rule
     */
    public static List<String> parseList(String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isBlank()) {
            return List.of();
        }
        Set<String> names = new LinkedHashSet<>();
        for (String item : commaSeparated.split(",", -1)) {
            String name = item.strip();
            if (name.isEmpty()) {
                continue;
            }
            requireValid(name);
            names.add(name);
        }
        return List.copyOf(new ArrayList<>(names));
    }

    /** Checks names given one by one (e.g. read from update_metadata.json). */
    public static List<String> requireValid(List<String> names) {
        for (String name : names) {
            requireValid(name);
        }
        return List.copyOf(names);
    }

    private static void requireValid(String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException("'" + name + "' is not a Debian package name Debian would accept: use "
                    + RULE + " (e.g. libopus0 or libopus0=1.3.1-3)");
        }
    }
}
