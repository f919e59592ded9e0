package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.ManifestEntry;
import dev.javia.ota.protocol.pkg.PackageInspector;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageSource;
import dev.javia.ota.protocol.pkg.UpdateMetadata;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/** The command without a server: arguments, checks, the package it builds with --output. */
class CreateUpdateTests {

    @TempDir
    Path dir;

    private PackagerEnvironment environment;

    @BeforeEach
    void writeSource() throws IOException {
        CommandRun.writeSource(dir);
        environment = CommandRun.environment(dir, Map.of());
    }

    @Test
    void helpExplainsArgumentsOptionsSettingsAndExitCodes() {
        CommandRun.Result result = CommandRun.run(environment, "--help");
        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("create_update [OPTIONS] VERSION DESCRIPTION scheduled|urgent [SYSTEM_PACKAGES]",
                "--source", "--server", "--target-devices", "--output", "--bump", "OTA_SERVER_URL",
                "OTA_ADMIN_API_KEY", "~/.config/javia-ota/packager.properties", "Never packaged", "Exit codes",
                "create_update v1.3.0 \"Add new audio codec\" scheduled \"libopus0,libopus-dev\"");
        assertThat(result.out()).contains(PackageSource.NEVER_PACKAGED.split(" "));
        assertThat(result.out().lines()).allMatch(line -> line.length() <= 100);
    }

    @Test
    void helpDocumentsEveryRolloutOptionWithAnExample() {
        CommandRun.Result result = CommandRun.run(environment, "--help");
        assertThat(result.exitCode()).isZero();
        assertThat(result.err()).as("picocli formats every line").isEmpty();
        assertThat(result.out()).contains("--phases=SIZE,...", "1,1%,10%,50%,100%", "--soak=DURATION", "90s, 30m",
                "--require-approval", "javia-ota approve", "--success-threshold=SHARE", "95% or 0.95",
                "--failure-threshold=SHARE", "--min-finished=N", "--min-sample=N", "--install-timeout=DURATION",
                "--max-concurrent=N", "--start-at=TIME", "2026-12-03T02:00:00Z", "--auto-rollback",
                "--target-version=VERSION", "--target-status=STATUS", "--target-timezone=ZONE", "Europe/Berlin",
                "--target-metadata=KEY=VALUE,...", "room=kitchen", "--json", "Rollouts:");
        assertThat(result.out().lines()).allMatch(line -> line.length() <= 100);
    }

    @Test
    void outputBuildsAndChecksThePackageWithoutAServer() throws IOException {
        CommandRun.Result result = CommandRun.run(environment, "--output", "out/update.zip", "v1.3.0",
                "Add new audio codec", "scheduled", "libopus0,libopus-dev");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("built v1.3.0 (not published)", "sha256", "size");
        UpdateMetadata metadata = PackageInspector.inspect(dir.resolve("out/update.zip"), PackageLimits.defaults());
        assertThat(metadata.version()).isEqualTo("v1.3.0");
        assertThat(metadata.updateType()).isEqualTo(UpdateType.SCHEDULED);
        assertThat(metadata.description()).isEqualTo("Add new audio codec");
        assertThat(metadata.systemPackages()).containsExactly("libopus0", "libopus-dev");
        assertThat(metadata.requiresSystemPackages()).isTrue();
        assertThat(metadata.files()).extracting(ManifestEntry::path).containsExactly("VERSION", "audio/codec.py",
                "client.py", "device_manager.py", "requirements.txt", "run.sh");
    }

    @Test
    void outputIntoADirectoryUsesTheSeedsFileName() throws IOException {
        Files.createDirectories(dir.resolve("dist"));
        CommandRun.Result result = CommandRun.run(environment, "--output", "dist", "v1.2.3", "Bug fixes", "urgent");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(dir.resolve("dist/update_v1.2.3.zip")).isRegularFile();
    }

    @Test
    void twoBuildsOfTheSameSourceAreByteIdentical() throws IOException {
        CommandRun.run(environment, "--output", "a.zip", "v1.2.3", "Bug fixes", "scheduled");
        CommandRun.Result second = CommandRun.run(environment, "--output", "b.zip", "v1.2.3", "Bug fixes",
                "scheduled");
        assertThat(second.exitCode()).isZero();
        assertThat(Files.readAllBytes(dir.resolve("b.zip"))).isEqualTo(Files.readAllBytes(dir.resolve("a.zip")));
    }

    @Test
    void createdAtIsSourceDateEpochWhenSetElseTheNewestFilesTime() {
        Instant edited = Instant.parse("2025-05-01T08:30:00Z");
        try {
            Files.setLastModifiedTime(dir.resolve("pi_client/client.py"), FileTime.from(edited));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        CommandRun.run(environment, "--output", "a.zip", "v1.2.3", "Bug fixes", "scheduled");
        assertThat(PackageInspector.inspect(dir.resolve("a.zip"), PackageLimits.defaults()).createdAt())
                .isAfterOrEqualTo(edited);

        PackagerEnvironment pinned = CommandRun.environment(dir, Map.of("SOURCE_DATE_EPOCH", "1700000000"));
        CommandRun.run(pinned, "--output", "b.zip", "v1.2.3", "Bug fixes", "scheduled");
        assertThat(PackageInspector.inspect(dir.resolve("b.zip"), PackageLimits.defaults()).createdAt())
                .isEqualTo(Instant.ofEpochSecond(1_700_000_000L));
    }

    @Test
    void neverPackagesTheSecretEnvCachesOrBackupsAndSaysSo() throws IOException {
        CommandRun.Result result = CommandRun.run(environment, "--output", "u.zip", "v1.2.3", "Bug fixes",
                "scheduled");
        assertThat(result.err()).contains("left out (never packaged): .env, __pycache__, client.py~");
        try (ZipFile zip = new ZipFile(dir.resolve("u.zip").toFile())) {
            List<String> names = Collections.list(zip.entries()).stream().map(ZipEntry::getName).toList();
            assertThat(names).noneMatch(name -> name.contains(".env") || name.contains("pycache")
                    || name.endsWith("~"));
            for (ZipEntry entry : Collections.list(zip.entries())) {
                assertThat(new String(zip.getInputStream(entry).readAllBytes())).doesNotContain("do-not-ship-me");
            }
        }
    }

    @Test
    void keepsTheExecutableBitInTheManifest() {
        CommandRun.run(environment, "--output", "u.zip", "v1.2.3", "Bug fixes", "scheduled");
        UpdateMetadata metadata = PackageInspector.inspect(dir.resolve("u.zip"), PackageLimits.defaults());
        assertThat(metadata.files()).filteredOn(file -> file.path().equals("run.sh"))
                .extracting(ManifestEntry::mode).containsExactly("0755");
        assertThat(metadata.files()).filteredOn(file -> file.path().equals("client.py"))
                .extracting(ManifestEntry::mode).containsExactly("0644");
    }

    @Test
    void refusesAVersionThatIsNotVMajorMinorPatch() {
        assertRefused(CommandRun.run(environment, "--output", "u.zip", "1.2", "Bug fixes", "scheduled"), 2,
                "version must look like vMAJOR.MINOR.PATCH (e.g. v1.2.3), not '1.2'");
    }

    @Test
    void refusesAnUnknownUpdateType() {
        assertRefused(CommandRun.run(environment, "--output", "u.zip", "v1.2.3", "Bug fixes", "tonight"), 2,
                "update_type must be one of scheduled | urgent, not 'tonight'");
    }

    @Test
    void refusesPackageNamesDebianWouldNotAccept() {
        assertRefused(CommandRun.run(environment, "--output", "u.zip", "v1.2.3", "Codec", "scheduled",
                "libopus0,libopus-"), 2, "'libopus-' is not a Debian package name Debian would accept");
    }

    @Test
    void refusesAMissingSourceDirectory() {
        assertRefused(CommandRun.run(environment, "--source", "nowhere", "--output", "u.zip", "v1.2.3", "Bug fixes",
                "scheduled"), 2, "source directory '" + dir.resolve("nowhere") + "' does not exist");
    }

    @Test
    void refusesASourceDirectoryWithNothingToPackage() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(empty.resolve(".env"), "KEY=secret\n");
        assertRefused(CommandRun.run(environment, "--source", "empty", "--output", "u.zip", "v1.2.3", "Bug fixes",
                "scheduled"), 2, "has no files to package (skipped: .env)");
    }

    @Test
    void refusesALinkThatLeavesTheSourceDirectory() throws IOException {
        Path outside = Files.writeString(dir.resolve("server.env"), "ADMIN=secret\n");
        Files.createSymbolicLink(dir.resolve("pi_client/settings.env"), outside);
        assertRefused(CommandRun.run(environment, "--output", "u.zip", "v1.2.3", "Bug fixes", "scheduled"), 2,
                "'settings.env' is a link to '" + outside.toRealPath() + "', outside the source directory");
        assertThat(dir.resolve("u.zip")).doesNotExist();
    }

    @Test
    void refusesAnEmptyDescriptionMissingArgumentsAndTooManyArguments() {
        assertRefused(CommandRun.run(environment, "--output", "u.zip", "v1.2.3", " ", "scheduled"), 2,
                "the description is empty");
        assertRefused(CommandRun.run(environment, "--output", "u.zip", "v1.2.3", "scheduled"), 2,
                "missing the update type");
        assertRefused(CommandRun.run(environment, "--output", "u.zip", "v1.2.3", "Bug", "fixes", "scheduled",
                "libopus0"), 2, "too many arguments");
        assertRefused(CommandRun.run(environment), 2, "missing VERSION");
    }

    @Test
    void refusesAVersionTogetherWithBump() {
        assertRefused(CommandRun.run(environment, "--bump", "patch", "v1.2.3", "Bug fixes", "scheduled"), 2,
                "give either a VERSION (v1.2.3) or --bump, not both");
        assertRefused(CommandRun.run(environment, "--bump", "sideways", "Bug fixes", "scheduled"), 2,
                "Invalid value for option '--bump'");
    }

    @Test
    void refusesTargetDevicesThatAreNotUuids() {
        assertRefused(CommandRun.run(environment, "--target-devices", "kitchen-pi", "v1.2.3", "Bug fixes",
                "scheduled"), 2, "--target-devices: 'kitchen-pi' is not a device UUID");
    }

    @Test
    void withoutOutputItNeedsAServerAndSaysWhereToSetIt() {
        assertRefused(CommandRun.run(environment, "v1.2.3", "Bug fixes", "scheduled"), 2,
                "no server given: pass --server URL, set OTA_SERVER_URL, or put server_url=URL in "
                        + dir.resolve("home/.config/javia-ota/packager.properties"));
        PackagerEnvironment noKey = CommandRun.environment(dir, Map.of("OTA_SERVER_URL", "http://127.0.0.1:9"));
        assertRefused(CommandRun.run(noKey, "v1.2.3", "Bug fixes", "scheduled"), 2,
                "no admin key: set OTA_ADMIN_API_KEY");
        assertRefused(CommandRun.run(environment, "--server", "ftp://ota", "v1.2.3", "Bug fixes", "scheduled"), 2,
                "server URL 'ftp://ota' is not an http(s) URL");
    }

    @Test
    void reportsAnUnreachableServerWithExitCodeFive() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Path config = Files.createDirectories(dir.resolve("home/.config/javia-ota")).resolve("packager.properties");
        Files.writeString(config, "server_url=http://127.0.0.1:" + closedPort + "/\nadmin_api_key=admin-key\n");
        CommandRun.Result result = CommandRun.run(environment, "v1.2.3", "Bug fixes", "scheduled");
        assertRefused(result, 5, "cannot reach the server at http://127.0.0.1:" + closedPort
                + " (connection refused): check --server / OTA_SERVER_URL and that the server is running");
    }

    @Test
    void refusesAConfigFileNamedButMissing() {
        assertRefused(CommandRun.run(environment, "--config", "nope.properties", "v1.2.3", "Bug fixes", "scheduled"),
                2, "config file " + dir.resolve("nope.properties") + " does not exist");
    }

    private static void assertRefused(CommandRun.Result result, int exitCode, String message) {
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(exitCode);
        assertThat(result.err()).as(result.toString()).contains(message);
    }
}
