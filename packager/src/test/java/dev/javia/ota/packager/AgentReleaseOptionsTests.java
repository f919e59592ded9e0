package dev.javia.ota.packager;

import dev.javia.ota.protocol.pkg.AgentRelease;
import dev.javia.ota.protocol.pkg.InvalidPackageException;
import dev.javia.ota.protocol.pkg.ManifestEntry;
import dev.javia.ota.protocol.pkg.PackageInspector;
import dev.javia.ota.protocol.pkg.PackageLayout;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.UpdateMetadata;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.PublisherSignature;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The agent release options (issue 16) without a server: each flag lands in the package where the agent looks for it
 * ({@code javia_agent/}, format 2), every refusal says what to give instead, a signature covers the agent's files,
 * and a package without an agent is the format-1 package of before, byte for byte.
 */
class AgentReleaseOptionsTests {

    @TempDir
    Path dir;

    private PackagerEnvironment environment;

    @BeforeEach
    void writeSourceAndAgent() throws IOException {
        CommandRun.writeSource(dir);
        environment = CommandRun.environment(dir, Map.of("SOURCE_DATE_EPOCH", "1700000000"));
        agentJar(dir.resolve("pi-agent.jar"), null);
        Files.writeString(dir.resolve("jvm.options"), """
                # the release's flags
                -XX:+UseSerialGC
                -Xmx64m -Xss256k
                "-Djavia.note=two words"
                """);
        Files.writeString(dir.resolve("agent.conf"), """
                # more memory for this release
                [Service]
                MemoryMax=96M
                Environment=JAVIA_TRACE=1
                """);
    }

    @Test
    void helpExplainsEveryAgentOption() {
        CommandRun.Result result = CommandRun.run(environment, "--help");
        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("--agent-jar=FILE", "--agent-version=vX.Y.Z", "Implementation-Version",
                "--agent-jvm-options=FILE", "@argfile", "--agent-unit-dropin=FILE", "[Install]", "ExecStart",
                "--agent-only", "Agent releases", "javia_agent/", ".deb");
        assertThat(result.out().lines()).allMatch(line -> line.length() <= 100);
    }

    @Test
    void theAgentAndItsFilesGoUnderJaviaAgentInAFormatTwoPackageWithTheApp() throws IOException {
        CommandRun.Result result = build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0",
                "--agent-jvm-options", "jvm.options", "--agent-unit-dropin", "agent.conf");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("  agent    v0.2.0, installed before the app");
        assertThat(result.err()).contains("and agent v0.2.0 (4 files)");
        Path zip = dir.resolve("dist/update_v1.4.1.zip");
        UpdateMetadata metadata = PackageInspector.inspect(zip, PackageLimits.defaults());
        assertThat(metadata.formatVersion()).isEqualTo(PackageLayout.AGENT_FORMAT_VERSION);
        assertThat(metadata.includesApp()).isTrue();
        assertThat(metadata.files()).extracting(ManifestEntry::path).contains("client.py", "VERSION");
        assertThat(metadata.agent().version()).isEqualTo("v0.2.0");
        assertThat(metadata.agent().files()).extracting(ManifestEntry::path).containsExactlyInAnyOrder(
                AgentRelease.JAR, AgentRelease.VERSION_FILE, AgentRelease.JVM_OPTIONS, AgentRelease.UNIT_DROPIN);
        try (ZipFile file = new ZipFile(zip.toFile())) {
            assertThat(read(file, "javia_agent/VERSION")).isEqualTo("v0.2.0\n");
            assertThat(read(file, "pi_client/VERSION")).isEqualTo("v1.4.1\n");
            assertThat(read(file, "javia_agent/jvm.options")).isEqualTo(Files.readString(dir.resolve("jvm.options")));
            assertThat(read(file, "javia_agent/javia-ota-agent.conf"))
                    .isEqualTo(Files.readString(dir.resolve("agent.conf")));
            assertThat(file.getInputStream(file.getEntry("javia_agent/pi-agent.jar")).readAllBytes())
                    .isEqualTo(Files.readAllBytes(dir.resolve("pi-agent.jar")));
        }
    }

    @Test
    void theJvmOptionsAndTheDropinAreOptional() {
        CommandRun.Result result = build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        UpdateMetadata metadata = inspect("dist/update_v1.4.1.zip");
        assertThat(metadata.agent().files()).extracting(ManifestEntry::path)
                .containsExactlyInAnyOrder(AgentRelease.JAR, AgentRelease.VERSION_FILE);
    }

    @Test
    void anAgentOnlyPackageNeedsNoAppDirectory() throws IOException {
        Path elsewhere = Files.createDirectories(dir.resolve("no-app"));
        agentJar(elsewhere.resolve("pi-agent.jar"), null);
        PackagerEnvironment there = CommandRun.environment(elsewhere, Map.of("SOURCE_DATE_EPOCH", "1700000000"));

        CommandRun.Result result = CommandRun.run(there, "--output", "dist/", "--agent-only", "--agent-jar",
                "pi-agent.jar", "--agent-version", "v0.2.1", "v1.4.2", "Agent fix", "urgent");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("  agent    v0.2.1 alone (agent-only: the devices keep their app)");
        assertThat(result.err()).contains("no app files and agent v0.2.1");
        Path zip = elsewhere.resolve("dist/update_v1.4.2.zip");
        UpdateMetadata metadata = PackageInspector.inspect(zip, PackageLimits.defaults());
        assertThat(metadata.includesApp()).isFalse();
        assertThat(metadata.files()).isEmpty();
        assertThat(metadata.version()).isEqualTo("v1.4.2");
        assertThat(metadata.agent().version()).isEqualTo("v0.2.1");
        try (ZipFile file = new ZipFile(zip.toFile())) {
            assertThat(Collections.list(file.entries()).stream().map(ZipEntry::getName))
                    .noneMatch(name -> name.startsWith(PackageLayout.APP_DIR));
        }
    }

    @Test
    void jsonSaysTheAgentRelease() {
        CommandRun.Result result = build("--json", "--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("\"agent_version\":\"v0.2.0\"", "\"app_included\":true",
                "\"package_format\":2");
    }

    @Test
    void theVersionComesFromTheJarsManifestWhenItIsOfTheForm() throws IOException {
        agentJar(dir.resolve("pi-agent.jar"), "v0.3.0");

        CommandRun.Result result = build("--agent-jar", "pi-agent.jar");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(inspect("dist/update_v1.4.1.zip").agent().version()).isEqualTo("v0.3.0");
        // and the same version given is accepted
        assertThat(build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.3.0").exitCode()).isZero();
    }

    @Test
    void refusesAJarWithoutAVersionOrWithOneThatIsNotOfTheForm() throws IOException {
        assertRefused(build("--agent-jar", "pi-agent.jar"), "--agent-jar needs --agent-version vMAJOR.MINOR.PATCH",
                "no Implementation-Version");
        agentJar(dir.resolve("pi-agent.jar"), "0.2.0-SNAPSHOT");
        assertRefused(build("--agent-jar", "pi-agent.jar"), "Implementation-Version 0.2.0-SNAPSHOT",
                "not of that form");
        assertRefused(build("--agent-jar", "pi-agent.jar", "--agent-version", "0.2.0"), "--agent-version",
                "vMAJOR.MINOR.PATCH");
    }

    @Test
    void refusesAVersionThatDisagreesWithTheJarsManifest() throws IOException {
        agentJar(dir.resolve("pi-agent.jar"), "v0.3.0");

        assertRefused(build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0"),
                "--agent-version says v0.2.0 but pi-agent.jar's manifest says Implementation-Version v0.3.0");
    }

    @Test
    void refusesAJarThatIsNotARunnableJar() throws IOException {
        Files.writeString(dir.resolve("notes.jar"), "not a zip at all\n");
        assertRefused(build("--agent-jar", "notes.jar", "--agent-version", "v0.2.0"), "is not a jar");
        assertRefused(build("--agent-jar", "missing.jar", "--agent-version", "v0.2.0"), "is not a file");
        assertRefused(build("--agent-jar", "pi_client", "--agent-version", "v0.2.0"), "is not a file");
        // a ZIP without a manifest, and a library jar without Main-Class: java -jar cannot start either
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(dir.resolve("plain.jar")))) {
            zip.putNextEntry(new ZipEntry("a.txt"));
            zip.write(1);
        }
        assertRefused(build("--agent-jar", "plain.jar", "--agent-version", "v0.2.0"), "no Main-Class");
        Manifest library = new Manifest();
        library.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(dir.resolve("lib.jar")), library)) {
            jar.putNextEntry(new JarEntry("a.txt"));
            jar.write(1);
        }
        assertRefused(build("--agent-jar", "lib.jar", "--agent-version", "v0.2.0"), "no Main-Class",
                "pi-agent/target/pi-agent.jar");
        assertThat(dir.resolve("dist")).doesNotExist();
    }

    @Test
    void refusesAgentOptionsWithoutTheJar() {
        assertRefused(build("--agent-version", "v0.2.0"), "--agent-version belongs to an agent release",
                "--agent-jar FILE");
        assertRefused(build("--agent-jvm-options", "jvm.options"), "--agent-jvm-options belongs to an agent release");
        assertRefused(build("--agent-unit-dropin", "agent.conf"), "--agent-unit-dropin belongs to an agent release");
        assertRefused(build("--agent-only"), "--agent-only needs the agent release: --agent-jar FILE");
        assertRefused(build("--agent-only", "--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0", "--source",
                "pi_client"), "--agent-only packages no app files: leave --source out");
    }

    @Test
    void refusesJvmOptionsThatAreNotFlags() throws IOException {
        for (String bad : List.of("-jar /tmp/other.jar\n", "-Xmx64m\ndev.javia.Other\n", "-cp /tmp\n",
                "--class-path=/tmp\n", "@more.options\n", "-version\n")) {
            Files.writeString(dir.resolve("bad.options"), bad);
            assertRefused(build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0", "--agent-jvm-options",
                    "bad.options"), "is not a JVM flag", "run-agent gives the jar");
        }
        Files.writeString(dir.resolve("empty.options"), "# nothing yet\n\n");
        assertRefused(build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0", "--agent-jvm-options",
                "empty.options"), "holds no JVM flag", "leave the option out");
        Files.writeString(dir.resolve("open.options"), "\"-Dx=unclosed\n");
        assertRefused(build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0", "--agent-jvm-options",
                "open.options"), "is not closed");
        Files.write(dir.resolve("binary.options"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertRefused(build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0", "--agent-jvm-options",
                "binary.options"), "is not UTF-8 text");
    }

    @Test
    void readsJvmOptionsAsTheJavaLauncherDoes() {
        assertThat(AgentFiles.arguments("# comment\n-Xmx64m -Xss256k # trailing\n'-Da=b c'\n\"-Dq=\\\"x\\\"\"\n"))
                .containsExactly("-Xmx64m", "-Xss256k", "-Da=b c", "-Dq=\"x\"");
    }

    @Test
    void refusesADropinWithAnInstallSectionOrThatReplacesExecStart() throws IOException {
        Map<String, String> refusals = new LinkedHashMap<>();
        refusals.put("[Service]\nMemoryMax=96M\n[Install]\nWantedBy=multi-user.target\n",
                "line 3: a drop-in with an [Install] section");
        refusals.put("[Service]\nExecStart=\nExecStart=/usr/bin/java -jar /opt/x.jar\n",
                "ExecStart= would replace run-agent, which starts the guard");
        refusals.put("MemoryMax=96M\n", "MemoryMax= comes before any section");
        refusals.put("[Timer]\nOnBootSec=1min\n", "[Timer] is not a section of the agent's unit");
        refusals.put("[Service]\nthis is not a setting\n", "neither a [Section] nor a Key=value setting");
        refusals.put("# only a comment\n[Service]\n", "holds no setting");
        for (Map.Entry<String, String> refusal : refusals.entrySet()) {
            Files.writeString(dir.resolve("bad.conf"), refusal.getKey());
            assertRefused(build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0", "--agent-unit-dropin",
                    "bad.conf"), "--agent-unit-dropin: ", refusal.getValue());
        }
        // a continued line and [Unit] settings are fine
        Files.writeString(dir.resolve("good.conf"), "[Unit]\nDescription=Javia OTA agent \\\n  (release v0.2.0)\n"
                + "[Service]\nExecStartPre=/bin/true\n");
        assertThat(build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0", "--agent-unit-dropin",
                "good.conf").exitCode()).isZero();
    }

    @Test
    void refusesAgentOptionsWhenPublishingAPackageBuiltBefore() {
        assertThat(build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0").exitCode()).isZero();

        CommandRun.Result result = CommandRun.run(environment, "--package", "dist/update_v1.4.1.zip",
                "--agent-jar", "pi-agent.jar");

        assertRefused(result, "--agent-jar belongs to the build", "the agent release is inside the package");
    }

    @Test
    void twoBuildsWithTheSameAgentAreByteIdentical() throws IOException {
        build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0", "--agent-jvm-options", "jvm.options");
        byte[] first = Files.readAllBytes(dir.resolve("dist/update_v1.4.1.zip"));
        build("--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.0", "--agent-jvm-options", "jvm.options");
        assertThat(Files.readAllBytes(dir.resolve("dist/update_v1.4.1.zip"))).isEqualTo(first);
    }

    /**
     * Issue 14's signature covers the metadata, and through its manifest the agent's files: a package whose agent
     * jar was swapped after signing is refused although its metadata (and so the signature) still verifies, and one
     * whose metadata was changed to match fails the signature.
     */
    @Test
    void theSignatureCoversTheAgentsFilesThroughTheManifest() throws IOException {
        CommandRun.Result keygen = CommandRun.run(environment, "keygen", "--name", "publisher");
        assertThat(keygen.exitCode()).as(keygen.toString()).isZero();
        String publicLine = Files.readString(dir.resolve("publisher.pub"), StandardCharsets.US_ASCII).strip();
        PublisherKeys trusted = PublisherKeys.parse(List.of(publicLine));

        CommandRun.Result result = build("--sign-key", "publisher.key", "--agent-jar", "pi-agent.jar",
                "--agent-version", "v0.2.0", "--agent-unit-dropin", "agent.conf");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        Path zip = dir.resolve("dist/update_v1.4.1.zip");
        PublisherSignature signature = ServerConnection.JSON.readValue(Files.readString(Path.of(zip + ".sig")),
                PublisherSignature.class);
        assertThat(signature.keyId()).isEqualTo(Ed25519Keys.keyId(Ed25519Keys.publicKey(publicLine)));
        assertThat(PackageInspector.inspect(zip, PackageLimits.defaults(),
                PackageTrust.of(trusted, signature, "package v1.4.1")).agent().version()).isEqualTo("v0.2.0");

        // the agent's jar swapped, the signed metadata kept
        Path swapped = dir.resolve("swapped.zip");
        rewrite(zip, swapped, Map.of("javia_agent/pi-agent.jar", "an attacker's agent".getBytes()));
        assertThatThrownBy(() -> PackageInspector.inspect(swapped, PackageLimits.defaults(),
                PackageTrust.of(trusted, signature, "package v1.4.1"))).isInstanceOf(InvalidPackageException.class);

        // the metadata changed to match the swapped jar: the signature no longer verifies
        byte[] evil = "an attacker's agent".getBytes();
        String metadata;
        try (ZipFile file = new ZipFile(zip.toFile())) {
            metadata = read(file, PackageLayout.METADATA);
        }
        UpdateMetadata signed = UpdateMetadata.fromJson(metadata);
        String jarSha = signed.agent().files().stream().filter(entry -> entry.path().equals(AgentRelease.JAR))
                .findFirst().orElseThrow().sha256();
        String forged = metadata.replace(jarSha, sha256(evil)).replaceFirst(
                "\"size\":\\s*" + Files.size(dir.resolve("pi-agent.jar")), "\"size\": " + evil.length);
        assertThat(forged).isNotEqualTo(metadata);
        Path resigned = dir.resolve("forged.zip");
        rewrite(zip, resigned, Map.of("javia_agent/pi-agent.jar", evil, PackageLayout.METADATA,
                forged.getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> PackageInspector.inspect(resigned, PackageLimits.defaults(),
                PackageTrust.of(trusted, signature, "package v1.4.1"))).isInstanceOf(InvalidPackageException.class);
    }

    /**
     * A package without an agent release is the format-1 package of before, byte for byte: this source and these
     * arguments gave this SHA-256 with the packager before agent releases (commit e579647) on this runtime. Another
     * zlib deflates differently, so the comparison holds only where a fixed input deflates as it did there.
     */
    @Test
    void aPackageWithoutAnAgentIsByteIdenticalToOneBuiltBeforeAgentReleases() throws IOException {
        Assumptions.assumeTrue(deflatesAsTheRecordingRuntime(), "this runtime's zlib deflates differently from the "
                + "one the reference SHA-256 was recorded with");

        CommandRun.Result result = CommandRun.run(environment, "--output", "old.zip", "v1.2.3", "Bug fixes",
                "scheduled", "libopus0,libopus-dev");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        Path zip = dir.resolve("old.zip");
        assertThat(Files.size(zip)).isEqualTo(1665);
        assertThat(Sha256.of(zip)).isEqualTo("965fd7acafd563736e8f400266187d1e725f90ff49edca0e3421522aa96f253e");
        UpdateMetadata metadata = inspect("old.zip");
        assertThat(metadata.formatVersion()).isEqualTo(PackageLayout.FORMAT_VERSION);
        assertThat(metadata.agent()).isNull();
        try (ZipFile file = new ZipFile(zip.toFile())) {
            assertThat(read(file, PackageLayout.METADATA)).doesNotContain("agent").doesNotContain("app_included");
        }
    }

    /** Whether a fixed input deflates to what it did on the runtime that recorded the reference package. */
    private static boolean deflatesAsTheRecordingRuntime() {
        byte[] input = new byte[4096];
        long x = 1;
        for (int i = 0; i < input.length; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            input[i] = (byte) ("javia ota ".charAt(i % 10) ^ ((x >>> 60) & 3));
        }
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        deflater.setInput(input);
        deflater.finish();
        byte[] out = new byte[8192];
        int n = deflater.deflate(out);
        deflater.end();
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(out, 0, n);
            return HexFormat.of().formatHex(digest.digest())
                    .equals("ed0662ad816e2f02fa2c62e5b99eabeee6518f7da0769d85f7d179e2ef32fcaa");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private CommandRun.Result build(String... options) {
        List<String> args = new java.util.ArrayList<>(List.of("--output", "dist/"));
        args.addAll(List.of(options));
        args.addAll(List.of("v1.4.1", "Agent fix and wake word tweak", "scheduled"));
        return CommandRun.run(environment, args.toArray(String[]::new));
    }

    private UpdateMetadata inspect(String zip) {
        return PackageInspector.inspect(dir.resolve(zip), PackageLimits.defaults());
    }

    /** A jar as the shaded agent jar is: a manifest with Main-Class (and Implementation-Version when given). */
    static Path agentJar(Path file, String implementationVersion) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "dev.javia.ota.agent.Main");
        if (implementationVersion != null) {
            manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, implementationVersion);
        }
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream jar = new JarOutputStream(out, manifest)) {
            JarEntry entry = new JarEntry("dev/javia/ota/agent/Main.class");
            entry.setTime(0);
            jar.putNextEntry(entry);
            jar.write(new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE});
            jar.closeEntry();
        }
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(0));
        return file;
    }

    private static String read(ZipFile file, String name) throws IOException {
        return new String(file.getInputStream(file.getEntry(name)).readAllBytes(), StandardCharsets.UTF_8);
    }

    /** A copy of the package with some entries' bytes replaced. */
    private static void rewrite(Path from, Path to, Map<String, byte[]> replaced) throws IOException {
        try (ZipFile in = new ZipFile(from.toFile()); ZipOutputStream out = new ZipOutputStream(
                Files.newOutputStream(to))) {
            for (ZipEntry entry : Collections.list(in.entries())) {
                out.putNextEntry(new ZipEntry(entry.getName()));
                out.write(replaced.containsKey(entry.getName()) ? replaced.get(entry.getName())
                        : in.getInputStream(entry).readAllBytes());
                out.closeEntry();
            }
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertRefused(CommandRun.Result result, String... messages) {
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(PackagerException.BAD_INPUT);
        assertThat(result.err()).as(result.toString()).contains(messages);
    }
}
