package dev.javia.ota.protocol.pkg;

import java.util.regex.Pattern;

/**
 * The one rule for names inside a package, applied by the builder (to refuse a source file it could not ship), by
 * the inspector (to refuse a hostile ZIP) and by the extractor: relative, '/'-separated, no '.', '..' or empty
 * segment, no backslash, no control character, no segment longer than a Linux file name may be, at most
 * {@value #MAX_DEPTH} levels below {@code pi_client/}. Public for {@code dev.javia.ota.protocol.delta}, which reads deltas with the same rules.
 */
public final class PackagePaths {

    private static final Pattern DRIVE = Pattern.compile("[A-Za-z]:.*");
    /** NAME_MAX of ext4 and most Linux file systems: a longer name cannot be created on the device. */
    static final int MAX_SEGMENT_BYTES = 255;
    /** Directories and file below {@code pi_client/}: Python code is rarely ten deep. */
    static final int MAX_DEPTH = 32;

    private PackagePaths() {
    }

    /** What is wrong with a path relative to {@code pi_client/}, or null when nothing is. */
    public static String problem(String path) {
        String problem = nameProblem(path);
        return problem != null ? problem : depthProblem(path);
    }

    /** What is wrong with the name of a ZIP entry (directories end in '/'), or null when nothing is. */
    static String entryProblem(String name) {
        String bare = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
        String problem = nameProblem(bare);
        if (problem != null) {
            return problem;
        }
        if (name.equals(PackageLayout.METADATA) || name.equals(PackageLayout.APP_DIR)
                || name.equals(PackageLayout.AGENT_DIR)) {
            return null;
        }
        if (name.startsWith(PackageLayout.APP_DIR)) {
            return depthProblem(bare.substring(PackageLayout.APP_DIR.length()));
        }
        if (name.startsWith(PackageLayout.AGENT_DIR)) {
            String file = bare.substring(PackageLayout.AGENT_DIR.length());
            return name.endsWith("/") || !AgentRelease.FILE_NAMES.contains(file) ? "is not one of the files an agent "
                    + "release holds (" + PackageLayout.AGENT_DIR + " has only " + String.join(", ",
                    new java.util.TreeSet<>(AgentRelease.FILE_NAMES)) + ")" : null;
        }
        return "is neither " + PackageLayout.METADATA + " nor under " + PackageLayout.APP_DIR + " or "
                + PackageLayout.AGENT_DIR;
    }

    private static String nameProblem(String path) {
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
            if (segment.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
                return "has a name longer than " + MAX_SEGMENT_BYTES + " bytes, which a Linux file system cannot "
                        + "store";
            }
        }
        return null;
    }

    /** Deeper paths are not code anyone writes; they are how a package makes the device create directories. */
    private static String depthProblem(String path) {
        int depth = (int) path.chars().filter(c -> c == '/').count() + 1;
        return depth > MAX_DEPTH ? "is " + depth + " levels deep, more than the " + MAX_DEPTH + " a package may have"
                : null;
    }
}
