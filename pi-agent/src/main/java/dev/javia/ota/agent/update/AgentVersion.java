package dev.javia.ota.agent.update;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The version of the agent that is running, read once at start: the {@code VERSION} file beside its jar (what a
 * release directory holds, {@code releases/v0.2.0/VERSION}), else the jar manifest's {@code Implementation-Version}
 * (a jar copied by hand, the legacy {@code AGENT_HOME/pi-agent.jar}), else {@value #UNKNOWN}. The JVM resolves the
 * class path's links when it starts ({@code current/pi-agent.jar} is loaded as {@code releases/v0.2.0/pi-agent.jar}),
 * so the file read is the started release's. Read once all the same, at start: should a path still go through
 * {@code current}, which the agent moves when it switches itself, the old agent would later take itself for the new.
 */
public final class AgentVersion {

    public static final String UNKNOWN = "unknown";

    private AgentVersion() {
    }

    /** The running agent's version, from the jar (or class directory) this class was loaded from. */
    public static String running() {
        try {
            var source = AgentVersion.class.getProtectionDomain().getCodeSource();
            return source == null ? UNKNOWN : of(Path.of(source.getLocation().toURI()));
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return UNKNOWN;
        }
    }

    /**
     * The version of the agent in {@code jar} (the path as it was started, not resolved: {@code current/pi-agent.jar}
     * names the {@code VERSION} of the release {@code current} pointed at then).
     */
    public static String of(Path jar) {
        Path parent = jar.toAbsolutePath().getParent();
        if (parent != null) {
            Path file = parent.resolve("VERSION");
            try {
                if (Files.isRegularFile(file)) {
                    String text = Files.readString(file, StandardCharsets.UTF_8).strip();
                    if (!text.isEmpty() && text.lines().count() == 1) {
                        return text;
                    }
                }
            } catch (IOException e) {
                // unreadable: the manifest may still say
            }
        }
        if (!Files.isRegularFile(jar)) {
            return UNKNOWN;
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            String version = manifest == null ? null
                    : manifest.getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION);
            if (version == null || version.isBlank()) {
                return UNKNOWN;
            }
            version = version.strip();
            // the build's version (0.1.0) in the releases' spelling (v0.1.0), so that the two compare
            return Character.isDigit(version.charAt(0)) ? "v" + version : version;
        } catch (IOException e) {
            return UNKNOWN;
        }
    }
}
