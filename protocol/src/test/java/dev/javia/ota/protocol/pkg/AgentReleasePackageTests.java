package dev.javia.ota.protocol.pkg;

import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Packages that carry a release of the agent itself (issue 16): format 2, {@code javia_agent/}. */
class AgentReleasePackageTests {

    private static final Instant CREATED = Instant.parse("2026-12-04T00:00:00Z");
    private static final Version AGENT = Version.parse("v0.2.0");

    @TempDir
    Path dir;

    @Test
    void aPackageWithAnAgentAndTheAppIsFormat2AndExtractsEachPartOnItsOwn() throws IOException {
        Path jar = jar("agent.jar");
        Path options = Files.writeString(dir.resolve("jvm.options"), "-Xmx48m\n");
        Path zip = dir.resolve("update_v1.3.0.zip");
        PackageBuilder.buildFile(app(), Version.parse("v1.3.0"), UpdateType.SCHEDULED, "agent and app", List.of(),
                CREATED, null, new PackageBuilder.AgentSource(AGENT, jar, options, null), zip);

        UpdateMetadata metadata = PackageInspector.inspect(zip, PackageLimits.defaults());
        assertThat(metadata.formatVersion()).isEqualTo(PackageLayout.AGENT_FORMAT_VERSION);
        assertThat(metadata.agent().version()).isEqualTo("v0.2.0");
        assertThat(metadata.agent().files()).extracting(ManifestEntry::path)
                .containsExactly("VERSION", "jvm.options", "pi-agent.jar");
        assertThat(metadata.includesApp()).isTrue();

        Path app = dir.resolve("releases/v1.3.0");
        PackageExtractor.extract(zip, app, PackageLimits.defaults());
        assertThat(contents(app)).containsOnlyKeys("client.py", "VERSION");

        Path agent = dir.resolve("agent/v0.2.0");
        PackageExtractor.extractAgent(zip, agent, PackageLimits.defaults(), PackageTrust.none());
        assertThat(contents(agent)).containsEntry("VERSION", "v0.2.0\n").containsEntry("jvm.options", "-Xmx48m\n")
                .containsKey("pi-agent.jar").hasSize(3);
        assertThat(Files.readAllBytes(agent.resolve("pi-agent.jar"))).isEqualTo(Files.readAllBytes(jar));
    }

    @Test
    void anAgentOnlyPackageHasNoAppPart() throws IOException {
        Path zip = PackageBuilder.sampleAgentPackage(dir, Version.parse("v1.3.1"), UpdateType.URGENT, AGENT,
                jar("agent.jar"), false);
        UpdateMetadata metadata = PackageInspector.inspect(zip, PackageLimits.defaults());
        assertThat(metadata.includesApp()).isFalse();
        assertThat(metadata.files()).isEmpty();
        try (ZipFile file = new ZipFile(zip.toFile())) {
            assertThat(file.stream().map(ZipEntry::getName)).noneMatch(name -> name.startsWith("pi_client/"));
        }
        assertThat(metadata.toJson()).containsPattern("\"app_included\" ?: ?false");
    }

    @Test
    void aPackageWithoutAnAgentIsTheFormat1PackageOfBefore() throws IOException {
        Path zip = PackageBuilder.samplePackage(dir, Version.parse("v1.0.0"), UpdateType.SCHEDULED, List.of());
        UpdateMetadata metadata = PackageInspector.inspect(zip, PackageLimits.defaults());
        assertThat(metadata.formatVersion()).isEqualTo(1);
        assertThat(metadata.agent()).isNull();
        // neither field is written: a reader before agent releases sees exactly what it saw before them
        assertThat(metadata.toJson()).doesNotContain("agent").doesNotContain("app_included");
        try (ZipFile file = new ZipFile(zip.toFile())) {
            assertThat(file.stream().map(ZipEntry::getName)).noneMatch(name -> name.startsWith("javia_agent"));
        }
        assertThatThrownBy(() -> PackageExtractor.extractAgent(zip, dir.resolve("agent"), PackageLimits.defaults(),
                PackageTrust.none())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no agent");
        assertThat(dir.resolve("agent")).doesNotExist();
    }

    @Test
    void readersOfFormat1RefuseAFormat2PackageWhole() throws IOException {
        // what an agent before agent releases checks first: a format newer than the one it reads is refused before
        // any file is written, so it never half-installs an agent release it does not understand
        Path zip = PackageBuilder.sampleAgentPackage(dir, Version.parse("v1.3.0"), UpdateType.SCHEDULED, AGENT,
                jar("agent.jar"), true);
        assertThat(PackageInspector.inspect(zip, PackageLimits.defaults()).formatVersion())
                .isGreaterThan(PackageLayout.FORMAT_VERSION);
    }

    @Test
    void refusesAnAgentFileOutsideTheFixedSet() throws IOException {
        Path zip = handMade(Map.of("javia_agent/pi-agent.jar", "PK\3\4jar", "javia_agent/VERSION", "v0.2.0\n",
                "javia_agent/evil.sh", "rm -rf /\n"), true, 2, "v0.2.0", null);
        assertThatThrownBy(() -> PackageInspector.inspect(zip, PackageLimits.defaults()))
                .isInstanceOf(InvalidPackageException.class).hasMessageContaining("javia_agent/evil.sh")
                .hasMessageContaining("is not one of the files an agent release holds");
    }

    @Test
    void refusesADirectoryInsideTheAgentRelease() throws IOException {
        Path zip = handMade(Map.of("javia_agent/pi-agent.jar/", ""), true, 2, "v0.2.0", null);
        assertThatThrownBy(() -> PackageInspector.inspect(zip, PackageLimits.defaults()))
                .isInstanceOf(InvalidPackageException.class).hasMessageContaining("javia_agent/pi-agent.jar/");
    }

    @Test
    void refusesAnAgentReleaseInAFormat1Package() throws IOException {
        Path zip = handMade(Map.of("javia_agent/pi-agent.jar", "PK\3\4jar", "javia_agent/VERSION", "v0.2.0\n"),
                true, 1, "v0.2.0", null);
        assertThatThrownBy(() -> PackageInspector.inspect(zip, PackageLimits.defaults()))
                .isInstanceOf(InvalidPackageException.class).hasMessageContaining("needs format_version 2");
    }

    @Test
    void refusesFormat2WithoutAnAgentRelease() throws IOException {
        Path zip = handMade(Map.of(), true, 2, null, null);
        assertThatThrownBy(() -> PackageInspector.inspect(zip, PackageLimits.defaults()))
                .isInstanceOf(InvalidPackageException.class).hasMessageContaining("but no agent release");
    }

    @Test
    void refusesAnAgentVersionFileThatDisagreesWithTheMetadata() throws IOException {
        Path zip = handMade(Map.of("javia_agent/pi-agent.jar", "PK\3\4jar", "javia_agent/VERSION", "v0.9.9\n"),
                true, 2, "v0.2.0", null);
        assertThatThrownBy(() -> PackageInspector.inspect(zip, PackageLimits.defaults()))
                .isInstanceOf(InvalidPackageException.class).hasMessageContaining("javia_agent/VERSION says 'v0.9.9'");
    }

    @Test
    void refusesAnAgentReleaseWithoutItsJar() throws IOException {
        Path zip = handMade(Map.of("javia_agent/VERSION", "v0.2.0\n"), true, 2, "v0.2.0", null);
        assertThatThrownBy(() -> PackageInspector.inspect(zip, PackageLimits.defaults()))
                .isInstanceOf(InvalidPackageException.class).hasMessageContaining("no javia_agent/pi-agent.jar");
    }

    @Test
    void refusesAppEntriesInAnAgentOnlyPackage() throws IOException {
        Path zip = handMade(Map.of("javia_agent/pi-agent.jar", "PK\3\4jar", "javia_agent/VERSION", "v0.2.0\n"),
                true, 2, "v0.2.0", false);
        assertThatThrownBy(() -> PackageInspector.inspect(zip, PackageLimits.defaults()))
                .isInstanceOf(InvalidPackageException.class).hasMessageContaining("app_included=false");
    }

    @Test
    void theBuilderRefusesAJarThatIsNotAJar() throws IOException {
        Path notJar = Files.writeString(dir.resolve("agent.jar"), "#!/bin/sh\n");
        assertThatThrownBy(() -> new PackageBuilder.AgentSource(AGENT, notJar, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a jar");
        assertThatThrownBy(() -> PackageBuilder.build(null, Version.parse("v1.0.0"), UpdateType.SCHEDULED, "x",
                List.of(), CREATED, null, null, OutputStream.nullOutputStream()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("or both");
    }

    /** A ZIP built by hand around an app of one VERSION file (when {@code withApp}) and the given agent entries. */
    private Path handMade(Map<String, String> agentEntries, boolean withApp, int format, String agentVersion,
                          Boolean appIncluded) throws IOException {
        List<ManifestEntry> app = withApp ? List.of(manifest("VERSION", "v1.3.0\n")) : List.of();
        List<ManifestEntry> agentFiles = agentEntries.entrySet().stream()
                .filter(e -> !e.getKey().endsWith("/"))
                .map(e -> manifest(e.getKey().substring("javia_agent/".length()), e.getValue())).toList();
        AgentRelease agent = agentVersion == null ? null : new AgentRelease(agentVersion, agentFiles);
        UpdateMetadata metadata = new UpdateMetadata(format, "v1.3.0", UpdateType.SCHEDULED, "hand made", CREATED,
                false, List.of(), app, null, agent, appIncluded);
        Path zip = dir.resolve("hand-" + System.nanoTime() + ".zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            for (Map.Entry<String, String> entry : new TreeMap<>(agentEntries).entrySet()) {
                out.putNextEntry(new ZipEntry(entry.getKey()));
                out.write(entry.getValue().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
            if (withApp) {
                out.putNextEntry(new ZipEntry("pi_client/VERSION"));
                out.write("v1.3.0\n".getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry(PackageLayout.METADATA));
            out.write(metadata.toJson().getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return zip;
    }

    private static ManifestEntry manifest(String path, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        java.security.MessageDigest digest = Sha256.newDigest();
        digest.update(bytes);
        return new ManifestEntry(path, bytes.length, Sha256.hex(digest), ManifestEntry.REGULAR);
    }

    private Path app() throws IOException {
        Path source = Files.createDirectories(dir.resolve("app"));
        Files.writeString(source.resolve("client.py"), "print('hi')\n");
        return source;
    }

    private Path jar(String name) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("META-INF/MANIFEST.MF"));
            zip.write("Manifest-Version: 1.0\n".getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        return Files.write(dir.resolve(name), bytes.toByteArray());
    }

    private static Map<String, String> contents(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (var walk = Files.walk(root)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                files.put(root.relativize(file).toString(), Files.readString(file, StandardCharsets.ISO_8859_1));
            }
        }
        return files;
    }
}
