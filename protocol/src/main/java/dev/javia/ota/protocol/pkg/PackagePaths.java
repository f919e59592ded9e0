package dev.javia.ota.protocol.pkg;

import java.util.regex.Pattern;

/**
 * The one rule for names inside a package, applied by the builder (to refuse a source file it could not ship), by
 * the inspector (to refuse a hostile ZIP) and by the extractor: relative, '/'-separated, no '.', '..' or empty
 * segment, no backslash, no control character.
 */
final class PackagePaths {

    private static final Pattern DRIVE = Pattern.compile("[A-Za-z]:.*");

    private PackagePaths() {
    }

    /** What is wrong with a path relative to {@code pi_client/}, or null when nothing is. */
    static String problem(String path) {
        if (path == null || path.isEmpty()) {
            return "has an empty name";
        }
        if (path.indexOf('\\') >= 0) {
            return "contains a backslash";
        }
        if (path.startsWith("/") || DRIVE.matcher(path).matches()) {
            return "is an absolute path";
        }
        for (int i = 0; i < path.length(); i++) {
            if (Character.isISOControl(path.charAt(i))) {
                return "contains a control character";
            }
        }
        for (String segment : path.split("/", -1)) {
            if (segment.equals("..")) {
                return "leaves the package";
            }
            if (segment.isEmpty() || segment.equals(".")) {
                return "has an empty or '.' path segment";
            }
        }
        return null;
    }

    /** What is wrong with the name of a ZIP entry (directories end in '/'), or null when nothing is. */
    static String entryProblem(String name) {
        String bare = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
        String problem = problem(bare);
        if (problem != null) {
            return problem;
        }
        if (name.equals(PackageLayout.METADATA) || name.equals(PackageLayout.APP_DIR)
                || name.startsWith(PackageLayout.APP_DIR)) {
            return null;
        }
        return "is neither " + PackageLayout.METADATA + " nor under " + PackageLayout.APP_DIR;
    }
}
