package dev.javia.ota.protocol.pkg;

import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A release version as the seed writes it, {@code vMAJOR.MINOR.PATCH}, ordered numerically (v1.10.0 > v1.9.0). */
public record Version(int major, int minor, int patch) implements Comparable<Version> {

    /** Nine digits at most per part, so that a part always fits an int. */
    private static final Pattern FORMAT = Pattern.compile("v(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})");

    private static final Comparator<Version> ORDER = Comparator.comparingInt(Version::major)
            .thenComparingInt(Version::minor)
            .thenComparingInt(Version::patch);

    /** Which part {@link #bump} increments; the parts after it start again at zero. */
    public enum Bump { PATCH, MINOR, MAJOR }

    public Version {
        if (major < 0 || minor < 0 || patch < 0) {
            throw new IllegalArgumentException("version parts must not be negative: " + major + "." + minor + "." + patch);
        }
    }

    /**
     * Parses {@code v1.2.3}. Leading zeros, missing parts, suffixes such as {@code -rc1} and a missing {@code v} are
     * refused, so that each version has exactly one spelling on the server, in the package and on the device.
     */
    public static Version parse(String text) {
        return tryParse(text).orElseThrow(() -> new IllegalArgumentException(
                "version must look like vMAJOR.MINOR.PATCH (e.g. v1.2.3), not '" + text + "'"));
    }

    public static Optional<Version> tryParse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new Version(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3))));
    }

    public Version bump(Bump kind) {
        switch (kind) {
            case MAJOR:
                return new Version(Math.addExact(major, 1), 0, 0);
            case MINOR:
                return new Version(major, Math.addExact(minor, 1), 0);
            case PATCH:
                return new Version(major, minor, Math.addExact(patch, 1));
            default:
                throw new IllegalArgumentException("unknown bump " + kind);
        }
    }

    public boolean isNewerThan(Version other) {
        return compareTo(other) > 0;
    }

    @Override
    public int compareTo(Version other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return "v" + major + "." + minor + "." + patch;
    }
}
