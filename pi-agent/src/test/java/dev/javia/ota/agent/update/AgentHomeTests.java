package dev.javia.ota.agent.update;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent's own layout: releases, current, previous, the legacy jar, the drop-in link; and its version. */
class AgentHomeTests {

    @TempDir
    Path dir;

    private AgentHome home() {
        return new AgentHome(dir.resolve("opt/javia-agent"), dir.resolve("etc/javia-ota-agent.service.d"));
    }

    private static void release(AgentHome home, String version, boolean dropIn) throws IOException {
        Path release = Files.createDirectories(home.release(version));
        Files.writeString(release.resolve("pi-agent.jar"), "jar");
        Files.writeString(release.resolve("VERSION"), version + "\n");
        if (dropIn) {
            Files.writeString(release.resolve("javia-ota-agent.conf"), "[Service]\nEnvironment=X=1\n");
        }
    }

    /** A jar whose manifest says {@code version}, as the build writes it. */
    static void jar(Path file, String version) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (version != null) {
            manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
        }
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream jar = new JarOutputStream(out, manifest)) {
            jar.flush();
        }
    }

    @Test
    void theVersionIsTheFileBesideTheJarElseTheManifestElseUnknown() throws IOException {
        AgentHome home = home();
        release(home, "v0.2.0", false);
        home.switchTo("v0.2.0");
        jar(home.legacyJar(), "0.1.0");

        assertThat(AgentVersion.of(home.current().resolve("pi-agent.jar"))).isEqualTo("v0.2.0");
        assertThat(AgentVersion.of(home.legacyJar())).as("the build's version, spelled as releases are")
                .isEqualTo("v0.1.0");
        jar(dir.resolve("bare/pi-agent.jar"), null);
        assertThat(AgentVersion.of(dir.resolve("bare/pi-agent.jar"))).isEqualTo("unknown");
        assertThat(AgentVersion.of(dir.resolve("nowhere/pi-agent.jar"))).isEqualTo("unknown");
        assertThat(AgentVersion.running()).as("from the classes under test: a directory, no jar").isNotBlank();
    }

    @Test
    void runAgentStartsTheLegacyJarUntilThereIsACurrent() throws IOException {
        AgentHome home = home();
        jar(home.legacyJar(), "0.1.0");
        assertThat(home.jarToStart()).isEqualTo(home.legacyJar());
        assertThat(home.switchingFrom()).isEqualTo("legacy");
        assertThat(home.runs("legacy")).isTrue();

        release(home, "v0.2.0", false);
        home.pointPreviousAt("legacy");
        home.switchTo("v0.2.0");

        assertThat(home.jarToStart()).isEqualTo(home.current().resolve("pi-agent.jar"));
        assertThat(home.previous()).doesNotExist();
        assertThat(home.runs("legacy")).isFalse();

        home.revertTo("legacy");
        assertThat(home.current()).doesNotExist();
        assertThat(home.jarToStart()).isEqualTo(home.legacyJar());
    }

    @Test
    void previousAndCurrentAreRelativeLinksIntoReleases() throws IOException {
        AgentHome home = home();
        release(home, "v0.1.0", false);
        release(home, "v0.2.0", false);
        home.switchTo("v0.1.0");

        home.pointPreviousAt(home.switchingFrom());
        home.switchTo("v0.2.0");

        assertThat(Files.readSymbolicLink(home.current())).isEqualTo(Path.of("releases/v0.2.0"));
        assertThat(Files.readSymbolicLink(home.previous())).isEqualTo(Path.of("releases/v0.1.0"));
        assertThat(home.currentRelease()).contains("v0.2.0");
        assertThat(home.previousRelease()).contains("v0.1.0");
        home.revertTo("v0.1.0");
        assertThat(home.runs("v0.1.0")).isTrue();
    }

    @Test
    void theDropInIsLinkedThroughCurrentWhenTheReleaseHasOneAndRemovedWhenNot() throws IOException {
        AgentHome home = home();
        release(home, "v0.1.0", false);
        release(home, "v0.2.0", true);
        home.switchTo("v0.1.0");
        assertThat(home.linkDropIn()).isFalse();

        home.switchTo("v0.2.0");
        assertThat(home.linkDropIn()).isTrue();
        assertThat(Files.readSymbolicLink(home.dropinLink()))
                .isEqualTo(home.current().resolve("javia-ota-agent.conf").toAbsolutePath());
        assertThat(Files.readString(home.dropinLink())).contains("Environment=X=1");
        assertThat(home.linkDropIn()).as("already linked").isFalse();

        home.switchTo("v0.1.0");
        assertThat(home.linkDropIn()).isTrue();
        assertThat(home.dropinLink()).doesNotExist();
        assertThat(Files.isSymbolicLink(home.dropinLink())).isFalse();
    }

    @Test
    void neverDeletesTheCurrentOrThePreviousRelease() throws IOException {
        AgentHome home = home();
        for (String v : new String[] {"v0.1.0", "v0.2.0", "v0.3.0", "v0.4.0"}) {
            release(home, v, false);
        }
        home.pointPreviousAt("v0.1.0");
        home.switchTo("v0.2.0");
        Files.createDirectories(home.partial("v0.5.0"));

        home.discard("v0.1.0");
        home.discard("v0.2.0");
        home.discard("v0.3.0");
        home.prune(Set.of());

        assertThat(home.release("v0.1.0")).isDirectory();
        assertThat(home.release("v0.2.0")).isDirectory();
        assertThat(home.release("v0.3.0")).doesNotExist();
        assertThat(home.release("v0.4.0")).doesNotExist();
        assertThat(home.partial("v0.5.0")).doesNotExist();
    }
}
