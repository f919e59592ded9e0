package dev.javia.ota.protocol.pkg;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;
import java.util.Set;

/**
 * The release of the OTA agent itself that a package may carry (issue 16), under {@code javia_agent/}: the agent's
 * jar, its {@code VERSION}, and optionally its JVM flags and a systemd drop-in for its unit. The agent installs it
 * side by side with the release it runs ({@code /opt/javia-agent/releases/<version>}) before the app part, and a
 * guard outside the agent puts the previous one back when the new one does not check in.
 *
 * @param version the agent's version, {@code vMAJOR.MINOR.PATCH}; {@code javia_agent/VERSION} holds the same
 * @param files   the manifest of {@code javia_agent/}, paths relative to it; only {@link #FILE_NAMES}, no directories
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AgentRelease(String version, List<ManifestEntry> files) {

    /** The agent's jar, run with {@code java @jvm.options -jar pi-agent.jar}. */
    public static final String JAR = "pi-agent.jar";
    /** The agent's version, one line. */
    public static final String VERSION_FILE = "VERSION";
    /** Optional: the JVM's flags, in {@code java}'s {@code @argfile} syntax; absent, the device's defaults apply. */
    public static final String JVM_OPTIONS = "jvm.options";
    /** Optional: a systemd drop-in for {@code javia-ota-agent.service}, in force while this release is current. */
    public static final String UNIT_DROPIN = "javia-ota-agent.conf";
    /**
     * The only names {@code javia_agent/} may hold: a fixed set, so that no package can make the agent's release
     * directory hold anything the launcher or the guard does not expect.
     */
    public static final Set<String> FILE_NAMES = Set.of(JAR, VERSION_FILE, JVM_OPTIONS, UNIT_DROPIN);
    /** The two names every agent release has. */
    public static final Set<String> REQUIRED = Set.of(JAR, VERSION_FILE);

    public AgentRelease {
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** The parsed {@link #version()}; only call on metadata that {@link PackageInspector} accepted. */
    public Version parsedVersion() {
        return Version.parse(version);
    }

    /** The name of {@code entry}'s ZIP entry: {@code javia_agent/<path>}. */
    public static String entryName(ManifestEntry entry) {
        return PackageLayout.AGENT_DIR + entry.path();
    }

    /** Whether this release carries {@code name}, one of {@link #FILE_NAMES}. */
    public boolean has(String name) {
        return files.stream().anyMatch(file -> file.path().equals(name));
    }
}
