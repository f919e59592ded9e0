package dev.javia.ota.packager;

import dev.javia.ota.protocol.pkg.AgentReleaseFiles;
import dev.javia.ota.protocol.pkg.Version;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipException;

/**
 * The agent release an update carries ({@code --agent-jar} and its companions), checked before anything is built:
 * on the device a bad jar, flag or drop-in costs a trial and a revert by the guard at best, so what can be seen here
 * is refused here, with what to give instead. The jar must be a jar that {@code java -jar} runs (a manifest with
 * {@code Main-Class}); its version is {@code --agent-version}, or the manifest's {@code Implementation-Version} when
 * that is {@code vMAJOR.MINOR.PATCH}; JVM options are flags only (run-agent names the jar); a systemd drop-in has
 * {@code [Unit]} and {@code [Service]} settings only, and never replaces {@code ExecStart} (run-agent is what runs
 * the guard).
 *
 * @param jar        the agent's shaded jar ({@code pi-agent.jar} in the package)
 * @param version    the agent's version
 * @param jvmOptions the release's JVM flags ({@code jvm.options}), or null for the device's default
 * @param unitDropin the release's drop-in for the agent's unit ({@code javia-ota-agent.conf}), or null for none
 */
record AgentFiles(Path jar, Version version, Path jvmOptions, Path unitDropin) {

    /** Far above a real jvm.options or drop-in (a few hundred bytes): bounds what is read and shipped. */
    static final int MAX_TEXT_BYTES = AgentReleaseFiles.MAX_TEXT_BYTES;

    /**
     * The options as given, checked; null when none of them was given.
     *
     * @param versionText {@code --agent-version}, or null to take the jar's Implementation-Version
     */
    static AgentFiles of(Path jar, String versionText, Path jvmOptions, Path unitDropin) {
        if (jar == null) {
            String given = versionText != null ? "--agent-version" : jvmOptions != null ? "--agent-jvm-options"
                    : unitDropin != null ? "--agent-unit-dropin" : null;
            if (given != null) {
                throw PackagerException.badInput(given + " belongs to an agent release: give the agent's jar with "
                        + "--agent-jar FILE (pi-agent/target/pi-agent.jar)");
            }
            return null;
        }
        Optional<String> manifestVersion = checkJar(jar);
        Version version = version(jar, versionText, manifestVersion);
        if (jvmOptions != null) {
            checkJvmOptions(jvmOptions);
        }
        if (unitDropin != null) {
            checkDropin(unitDropin);
        }
        return new AgentFiles(jar, version, jvmOptions, unitDropin);
    }

    /** Checks that {@code java -jar} can run the file; answers its manifest's Implementation-Version, if any. */
    private static Optional<String> checkJar(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw PackagerException.badInput("--agent-jar: " + jar + " is not a file: build the agent with "
                    + "./mvnw -pl pi-agent -am package and give pi-agent/target/pi-agent.jar");
        }
        Manifest manifest;
        try (JarFile file = new JarFile(jar.toFile(), false)) {
            manifest = file.getManifest();
        } catch (ZipException e) {
            throw PackagerException.badInput("--agent-jar: " + jar + " is not a jar (it does not read as a ZIP "
                    + "archive): give the agent's shaded jar, pi-agent/target/pi-agent.jar");
        } catch (IOException | SecurityException e) {
            throw PackagerException.badInput("--agent-jar: cannot read " + jar + " (" + e.getMessage()
                    + "): check that it is readable");
        }
        String mainClass = manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.MAIN_CLASS);
        if (mainClass == null || mainClass.isBlank()) {
            throw PackagerException.badInput("--agent-jar: " + jar + " has no Main-Class in its manifest, so "
                    + "java -jar cannot start it: give the shaded jar (pi-agent/target/pi-agent.jar), not the "
                    + "original-*.jar or a library");
        }
        return Optional.ofNullable(manifest.getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION))
                .map(String::strip);
    }

    private static Version version(Path jar, String versionText, Optional<String> manifestVersion) {
        Optional<Version> fromManifest = manifestVersion.flatMap(Version::tryParse);
        if (versionText == null) {
            return fromManifest.orElseThrow(() -> PackagerException.badInput("--agent-jar needs --agent-version "
                    + "vMAJOR.MINOR.PATCH (e.g. v0.2.0): " + jar.getFileName()
                    + manifestVersion.map(text -> "'s manifest says Implementation-Version " + text
                    + ", which is not of that form").orElse(" has no Implementation-Version in its manifest")));
        }
        Version version;
        try {
            version = Version.parse(versionText);
        } catch (IllegalArgumentException e) {
            throw PackagerException.badInput("--agent-version: " + e.getMessage());
        }
        if (fromManifest.isPresent() && !fromManifest.get().equals(version)) {
            throw PackagerException.badInput("--agent-version says " + version + " but " + jar.getFileName()
                    + "'s manifest says Implementation-Version " + fromManifest.get() + ": is this the jar you "
                    + "mean? Leave --agent-version out to take the manifest's");
        }
        return version;
    }

    /** Flags only, in java's @argfile syntax ({@code #} comments, quotes), as run-agent passes them. */
    private static void checkJvmOptions(Path file) {
        String text = text(file, "--agent-jvm-options");
        AgentReleaseFiles.jvmOptionsProblem(text).ifPresent(problem -> {
            throw PackagerException.badInput("--agent-jvm-options: " + (problem.startsWith("a quote") ? problem
                    : file + " " + problem + (problem.equals("holds no JVM flag") ? ": leave the option out to keep "
                    + "the device's default flags (/usr/lib/javia-agent/jvm.options)" : "")));
        });
    }

    /** Splits @argfile text as the java launcher does ({@link AgentReleaseFiles#arguments}). */
    static List<String> arguments(String text) {
        try {
            return AgentReleaseFiles.arguments(text);
        } catch (IllegalArgumentException e) {
            throw PackagerException.badInput("--agent-jvm-options: " + e.getMessage());
        }
    }

    /** [Unit] and [Service] settings only, no ExecStart ({@link AgentReleaseFiles#dropinProblem}). */
    private static void checkDropin(Path file) {
        String text = text(file, "--agent-unit-dropin");
        AgentReleaseFiles.dropinProblem(text).ifPresent(problem -> {
            throw PackagerException.badInput("--agent-unit-dropin: " + file + (problem.startsWith("line ")
                    ? " " + problem : " " + problem + (problem.equals("holds no setting") ? ": leave the option out "
                    + "when the release needs no drop-in" : "")));
        });
    }

    /** The file's text: UTF-8, no NUL, at most {@link #MAX_TEXT_BYTES}. */
    private static String text(Path file, String option) {
        if (!Files.isRegularFile(file)) {
            throw PackagerException.badInput(option + ": " + file + " is not a file");
        }
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_TEXT_BYTES) {
                throw PackagerException.badInput(option + ": " + file + " is larger than " + MAX_TEXT_BYTES / 1024
                        + " KiB: is it the right file?");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw PackagerException.badInput(option + ": cannot read " + file + " (" + e.getMessage() + ")");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw PackagerException.badInput(option + ": " + file + " is not UTF-8 text: is it the right file?");
        }
        if (text.indexOf('\0') >= 0) {
            throw PackagerException.badInput(option + ": " + file + " holds a NUL byte: is it the right file?");
        }
        return text;
    }
}
