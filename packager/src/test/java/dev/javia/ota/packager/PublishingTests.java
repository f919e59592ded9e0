package dev.javia.ota.packager;

import com.sun.net.httpserver.HttpServer;
import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateCheck;
import dev.javia.ota.protocol.api.UpdatePage;
import dev.javia.ota.protocol.api.UpdateView;
import dev.javia.ota.protocol.pkg.FileTrees;
import dev.javia.ota.protocol.pkg.PackageExtractor;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/** create_update against the real server over HTTP, on a fresh PostgreSQL database. */
class PublishingTests {

    private static TestServer server;
    private static HttpApi api;

    @TempDir
    Path dir;

    private Path source;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
        api = server.api();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void emptyServerAndFreshSource() throws IOException {
        server.jdbcTemplate().execute("truncate device_updates, updates, devices cascade");
        source = CommandRun.writeSource(dir);
    }

    @Test
    void publishesAnUpdateThatTheListShowsAndADevicesCheckOffers() {
        String device = UUID.randomUUID().toString();
        String token = api.register(server.enrollmentKey(), device, "America/Los_Angeles", "v1.2.2");

        CommandRun.Result result = run("v1.2.3", "Bug fixes and performance improvements", "scheduled");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        UpdateView listed = onlyUpdate();
        assertThat(listed.version()).isEqualTo("v1.2.3");
        assertThat(listed.description()).isEqualTo("Bug fixes and performance improvements");
        assertThat(result.out()).contains("published v1.2.3 (scheduled), scheduled for 1 device",
                "id       " + listed.id(), "sha256   " + listed.sha256(), "size     " + listed.sizeBytes() + " bytes",
                "devices  1");
        UpdateCheck check = api.get(ApiPaths.check(device), token).as(UpdateCheck.class);
        assertThat(check.updateAvailable()).isTrue();
        assertThat(check.update().version()).isEqualTo("v1.2.3");
        assertThat(check.update().sha256()).isEqualTo(listed.sha256());
    }

    @Test
    void theDownloadedPackageExtractsToExactlyTheSourceFilesPlusVersion() throws IOException {
        String device = UUID.randomUUID().toString();
        String token = api.register(server.enrollmentKey(), device, "UTC", null);
        assertThat(run("v1.2.3", "Bug fixes", "urgent").exitCode()).isZero();

        UpdateCheck check = api.get(ApiPaths.check(device), token).as(UpdateCheck.class);
        byte[] zip = api.get(ApiPaths.download(check.update().id()), token).bytes();
        assertThat(Sha256.of(zip)).isEqualTo(check.update().sha256());
        Path downloaded = Files.write(dir.resolve("downloaded.zip"), zip);
        Path release = dir.resolve("releases/v1.2.3");
        PackageExtractor.extract(downloaded, release, PackageLimits.defaults());

        Map<String, String> expected = contents(source);
        expected.keySet().removeIf(path -> path.equals(".env") || path.startsWith("__pycache__")
                || path.endsWith("~"));
        expected.put("VERSION", Sha256.of("v1.2.3\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(contents(release)).isEqualTo(expected);
        assertThat(Files.isExecutable(release.resolve("run.sh"))).isTrue();
    }

    /**
     * An update carrying the app and an agent release (issue 16): the server records the agent's version, an agent
     * that says it reads format 2 is offered it and extracts the agent release from the download; one before agent
     * releases is not offered it.
     */
    @Test
    void publishesAnAgentReleaseWithTheAppThatOnlyANewAgentIsOffered() throws IOException {
        String fresh = UUID.randomUUID().toString();
        String freshToken = api.register(server.enrollmentKey(), fresh, "UTC", "v1.2.2");
        api.post(ApiPaths.heartbeat(fresh), freshToken, Map.of("current_version", "v1.2.2", "agent_version", "v0.1.0",
                "package_format", 2));
        String old = UUID.randomUUID().toString();
        String oldToken = api.register(server.enrollmentKey(), old, "UTC", "v1.2.2");
        AgentReleaseOptionsTests.agentJar(dir.resolve("pi-agent.jar"), "v0.2.0");

        CommandRun.Result result = run("--agent-jar", "pi-agent.jar", "v1.2.3", "Agent fix", "urgent");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("published v1.2.3 (urgent), scheduled for 2 devices",
                "  agent    v0.2.0, installed before the app");
        assertThat(onlyUpdate().agentVersion()).isEqualTo("v0.2.0");
        UpdateCheck check = api.get(ApiPaths.check(fresh), freshToken).as(UpdateCheck.class);
        assertThat(check.updateAvailable()).isTrue();
        Path downloaded = Files.write(dir.resolve("downloaded.zip"),
                api.get(ApiPaths.download(check.update().id()), freshToken).bytes());
        Path agentRelease = dir.resolve("agent-releases/v0.2.0");
        PackageExtractor.extractAgent(downloaded, agentRelease, PackageLimits.defaults(),
                dev.javia.ota.protocol.pkg.PackageTrust.none());
        assertThat(Files.readString(agentRelease.resolve("VERSION"))).isEqualTo("v0.2.0\n");
        assertThat(Files.readAllBytes(agentRelease.resolve("pi-agent.jar")))
                .isEqualTo(Files.readAllBytes(dir.resolve("pi-agent.jar")));

        assertThat(api.get(ApiPaths.check(old), oldToken).as(UpdateCheck.class).updateAvailable()).isFalse();
    }

    @Test
    void publishesAnAgentOnlyUpdateWithoutAnAppDirectory() throws IOException {
        FileTrees.delete(source, false);
        AgentReleaseOptionsTests.agentJar(dir.resolve("pi-agent.jar"), null);

        CommandRun.Result result = run("--agent-only", "--agent-jar", "pi-agent.jar", "--agent-version", "v0.2.1",
                "v1.2.4", "Agent fix only", "urgent");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("  agent    v0.2.1 alone (agent-only: the devices keep their app)");
        assertThat(onlyUpdate().agentVersion()).isEqualTo("v0.2.1");
        assertThat(onlyUpdate().version()).isEqualTo("v1.2.4");
    }

    @Test
    void aSecretEnvInTheSourceIsNotInThePublishedPackage() throws IOException {
        String device = UUID.randomUUID().toString();
        String token = api.register(server.enrollmentKey(), device, "UTC", null);
        assertThat(run("v1.2.3", "Bug fixes", "scheduled").exitCode()).isZero();

        UpdateCheck check = api.get(ApiPaths.check(device), token).as(UpdateCheck.class);
        Path downloaded = Files.write(dir.resolve("downloaded.zip"),
                api.get(ApiPaths.download(check.update().id()), token).bytes());
        try (ZipFile zip = new ZipFile(downloaded.toFile())) {
            assertThat(zip.stream().map(java.util.zip.ZipEntry::getName)).noneMatch(name -> name.contains(".env"));
        }
        assertThat(new String(Files.readAllBytes(downloaded), java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain("do-not-ship-me");
    }

    @Test
    void theSeedsThreeExamplesPublishAndADeviceIsOfferedTheNewest() {
        String device = UUID.randomUUID().toString();
        String token = api.register(server.enrollmentKey(), device, "Europe/Berlin", "v1.2.2");

        assertThat(run("v1.2.3", "Bug fixes and performance improvements", "scheduled").exitCode()).isZero();
        assertThat(run("v1.2.4", "Critical security patch", "urgent").exitCode()).isZero();
        CommandRun.Result withPackages = run("v1.3.0", "Add new audio codec", "scheduled", "libopus0,libopus-dev");
        assertThat(withPackages.exitCode()).as(withPackages.toString()).isZero();

        assertThat(updates()).extracting(UpdateView::version).containsExactlyInAnyOrder("v1.2.3", "v1.2.4", "v1.3.0");
        UpdateView codec = updates().stream().filter(u -> u.version().equals("v1.3.0")).findFirst().orElseThrow();
        assertThat(codec.requiresSystemPackages()).isTrue();
        assertThat(codec.systemPackages()).containsExactly("libopus0", "libopus-dev");
        UpdateCheck check = api.get(ApiPaths.check(device), token).as(UpdateCheck.class);
        assertThat(check.update().version()).isEqualTo("v1.3.0");
        assertThat(check.update().systemPackages()).containsExactly("libopus0", "libopus-dev");
    }

    @Test
    void aDescriptionWithAccentsAndLineBreaksArrivesUnchanged() {
        String description = "Weckwort-Erkennung für Geräte\nund schnellere Antworten — ça marche";
        CommandRun.Result result = run("v1.2.3", description, "scheduled");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(onlyUpdate().description()).isEqualTo(description);
    }

    @Test
    void aVersionThatIsNotNewerIsRefusedBeforeUploadAndNothingIsPublished() {
        assertThat(run("v1.2.3", "Bug fixes", "scheduled").exitCode()).isZero();

        CommandRun.Result same = run("v1.2.3", "Again", "scheduled");
        assertThat(same.exitCode()).isEqualTo(3);
        assertThat(same.err()).contains("v1.2.3 is already published: publish a newer version, e.g. v1.2.4 "
                + "(or use --bump patch)");
        CommandRun.Result older = run("v1.2.0", "Older", "scheduled");
        assertThat(older.exitCode()).isEqualTo(3);
        assertThat(older.err()).contains("v1.2.0 is older than v1.2.3, the newest published");
        assertThat(updates()).extracting(UpdateView::version).containsExactly("v1.2.3");
    }

    @Test
    void eachRefusedInputIsRefusedWithItsMessageAndNothingIsPublished() throws IOException {
        Files.createDirectories(dir.resolve("empty"));
        Map<List<String>, String> refusals = Map.of(
                List.of("1.2.3", "Bug fixes", "scheduled"), "version must look like vMAJOR.MINOR.PATCH",
                List.of("v1.2.3", "Bug fixes", "whenever"), "update_type must be one of scheduled | urgent",
                List.of("v1.2.3", "Codec", "scheduled", "libopus0,-oDebug::NoLocking=1"),
                "'-oDebug::NoLocking=1' is not a Debian package name",
                List.of("--source", "empty", "v1.2.3", "Bug fixes", "scheduled"), "has no files to package",
                List.of("--source", "missing", "v1.2.3", "Bug fixes", "scheduled"), "does not exist");
        refusals.forEach((args, message) -> {
            CommandRun.Result result = run(args.toArray(String[]::new));
            assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
            assertThat(result.err()).as(result.toString()).contains(message);
        });
        assertThat(updates()).isEmpty();
        assertThat(server.jdbcTemplate().queryForObject("select count(*) from updates", Long.class)).isZero();
    }

    @Test
    void bumpTakesTheNextVersionAfterTheNewestOnTheServer() {
        CommandRun.Result first = run("--bump", "patch", "First", "scheduled");
        assertThat(first.exitCode()).as(first.toString()).isZero();
        assertThat(first.err()).contains("newest on the server: none; patch bump gives v0.0.1");
        assertThat(run("v1.2.3", "Bug fixes", "scheduled").exitCode()).isZero();

        CommandRun.Result minor = run("--bump", "minor", "Add new audio codec", "scheduled", "libopus0");
        assertThat(minor.exitCode()).as(minor.toString()).isZero();
        assertThat(minor.out()).contains("published v1.3.0");
        CommandRun.Result auto = run("--bump", "PATCH", "auto", "Fix codec", "urgent");
        assertThat(auto.exitCode()).as(auto.toString()).isZero();
        CommandRun.Result major = run("--bump", "major", "New wake word engine", "scheduled");
        assertThat(major.exitCode()).as(major.toString()).isZero();

        assertThat(updates()).extracting(UpdateView::version)
                .containsExactlyInAnyOrder("v0.0.1", "v1.2.3", "v1.3.0", "v1.3.1", "v2.0.0");
    }

    /** A server from before the paged list answers GET /api/v1/updates/ with an array of every update. */
    @Test
    void bumpReadsTheNewestVersionFromAServerOlderThanThePagedList() throws IOException {
        assertThat(run("v1.4.0", "Four", "scheduled").exitCode()).isZero();
        assertThat(run("v1.10.2", "Ten", "scheduled").exitCode()).isZero();
        byte[] array = api.get(ApiPaths.UPDATES, server.adminKey()).json().get("updates").toString()
                .getBytes(StandardCharsets.UTF_8);
        List<String> asked = new CopyOnWriteArrayList<>();
        HttpServer older = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        older.createContext("/", exchange -> {
            asked.add(exchange.getRequestURI().toString());
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, array.length);
            exchange.getResponseBody().write(array);
            exchange.close();
        });
        older.start();
        try {
            CommandRun.Result result = CommandRun.run(CommandRun.environment(dir,
                            settings("http://127.0.0.1:" + older.getAddress().getPort())),
                    "--bump", "patch", "--output", "dist/", "Fix", "scheduled");

            assertThat(result.exitCode()).as(result.toString()).isZero();
            assertThat(result.err()).contains("newest on the server: v1.10.2; patch bump gives v1.10.3");
            assertThat(result.out()).contains("built v1.10.3 (not published)");
            assertThat(asked).containsExactly(ApiPaths.UPDATES + "?size=1");
        } finally {
            older.stop(0);
        }
    }

    @Test
    void targetDevicesLimitsWhoIsScheduled() {
        String kitchen = UUID.randomUUID().toString();
        String hall = UUID.randomUUID().toString();
        String kitchenToken = api.register(server.enrollmentKey(), kitchen, "UTC", null);
        String hallToken = api.register(server.enrollmentKey(), hall, "UTC", null);

        CommandRun.Result result = run("--target-devices", kitchen, "v1.2.3", "Try on one device", "scheduled");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("scheduled for 1 device");
        assertThat(api.get(ApiPaths.check(kitchen), kitchenToken).as(UpdateCheck.class).updateAvailable()).isTrue();
        assertThat(api.get(ApiPaths.check(hall), hallToken).as(UpdateCheck.class).updateAvailable()).isFalse();
    }

    @Test
    void anUnknownTargetDeviceIsRefusedWithTheServersDetail() {
        String stranger = UUID.randomUUID().toString();
        CommandRun.Result result = run("--target-devices", stranger, "v1.2.3", "Bug fixes", "scheduled");
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.err()).contains("the server refused the update: target_devices names devices that are not "
                + "registered: " + stranger);
        assertThat(updates()).isEmpty();
    }

    @Test
    void aWrongKeyIsRefusedAndNothingIsPublished() {
        Map<String, String> variables = new HashMap<>(settings());
        variables.put("OTA_ADMIN_API_KEY", "not-the-admin-key");
        CommandRun.Result wrong = CommandRun.run(CommandRun.environment(dir, variables), "v1.2.3", "Bug fixes",
                "scheduled");
        assertThat(wrong.exitCode()).as(wrong.toString()).isEqualTo(4);
        assertThat(wrong.err()).contains("the server refused the admin key (");

        variables.put("OTA_ADMIN_API_KEY", server.enrollmentKey());
        CommandRun.Result enrollment = CommandRun.run(CommandRun.environment(dir, variables), "v1.2.3", "Bug fixes",
                "scheduled");
        assertThat(enrollment.exitCode()).as(enrollment.toString()).isEqualTo(4);
        assertThat(enrollment.err()).contains("publishing needs an admin key");
        assertThat(updates()).isEmpty();
    }

    /** An operator may copy a whole entry of the server's OTA_ADMIN_API_KEY: only the key after 'name:' is sent. */
    @Test
    void aNamedKeyEntryIsSentAsItsKeyAlone() {
        Map<String, String> variables = new HashMap<>(settings());
        variables.put("OTA_ADMIN_API_KEY", "ci-bot:" + server.adminKey());

        CommandRun.Result result = CommandRun.run(CommandRun.environment(dir, variables), "v3.1.4", "Bug fixes",
                "scheduled");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(updates()).hasSize(1);
        // the test server's keys are plain: the first is named admin, whatever name the packager was given
        assertThat(server.jdbcTemplate().queryForList("select actor from audit_log where action = 'update.published'"
                + " and details->>'version' = 'v3.1.4'", String.class)).containsExactly("admin");
    }

    @Test
    void settingsComeFromTheConfigFileWhenTheEnvironmentHasNone() throws IOException {
        Path config = Files.writeString(dir.resolve("packager.properties"),
                "server_url=" + server.baseUrl() + "/\nadmin_api_key=" + server.adminKey() + "\n");
        Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        CommandRun.Result result = CommandRun.run(CommandRun.environment(dir, Map.of()), "--config",
                "packager.properties", "v1.2.3", "Bug fixes", "scheduled");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.err()).contains("holds the admin key and other users can read it: chmod 600");
        assertThat(updates()).hasSize(1);
    }

    @Test
    void aPackageOverTheServersLimitIsRefusedWithTheLimit() throws IOException {
        try (TestServer small = TestServer.start(Map.of("ota.max-package-size", "16KB"))) {
            byte[] noise = new byte[64 * 1024];
            new java.util.Random(7).nextBytes(noise);
            Files.write(source.resolve("model.bin"), noise);
            Map<String, String> variables = Map.of("OTA_SERVER_URL", small.baseUrl(), "OTA_ADMIN_API_KEY",
                    small.adminKey());
            CommandRun.Result result = CommandRun.run(CommandRun.environment(dir, variables), "v1.2.3", "Model",
                    "scheduled");
            assertThat(result.exitCode()).as(result.toString()).isEqualTo(3);
            assertThat(result.err()).contains("is larger than the server's limit of 16.0 KiB")
                    .contains("nothing was uploaded").doesNotContain("publishing to");
            assertThat(small.jdbcTemplate().queryForObject("select count(*) from updates", Long.class)).isZero();
        }
    }

    @Test
    void aBrokenUploadIsRetriedAndPublishedOnce() throws IOException {
        CommandRun.Result result = runThroughFlakyProxy(FlakyProxy.Fault.BREAK_UPLOAD, "v1.2.3", "Bug fixes",
                "scheduled");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.err()).contains("the upload broke off", "trying again in 1 s (attempt 2 of 4)");
        assertThat(updates()).extracting(UpdateView::version).containsExactly("v1.2.3");
    }

    @Test
    void anAnswerLostAfterTheServerPublishedCountsAsPublished() throws IOException {
        CommandRun.Result result = runThroughFlakyProxy(FlakyProxy.Fault.LOSE_ANSWER, "v1.2.3", "Bug fixes",
                "scheduled");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.err()).contains("the server already had v1.2.3 from the broken attempt");
        assertThat(result.out()).contains("published v1.2.3");
        assertThat(updates()).extracting(UpdateView::version).containsExactly("v1.2.3");
    }

    @Test
    void anUploadThatKeepsFailingEndsWithExitCodeFive() throws IOException {
        CommandRun.Result result = runThroughFlakyProxy(FlakyProxy.Fault.BREAK_UPLOAD, "--retries", "0", "v1.2.3",
                "Bug fixes", "scheduled");
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(5);
        assertThat(result.err()).contains("failed 1 times", "Nothing was published unless GET /api/v1/updates/ "
                + "lists v1.2.3");
        assertThat(updates()).isEmpty();
    }

    @Test
    void plainProgressLinesWhenNotOnATerminal() {
        CommandRun.Result result = run("v1.2.3", "Bug fixes", "scheduled");
        assertThat(result.err()).contains("publishing to " + server.baseUrl(), "uploaded 100%").doesNotContain("\r");
    }

    private CommandRun.Result run(String... args) {
        return CommandRun.run(CommandRun.environment(dir, settings()), args);
    }

    private static Map<String, String> settings() {
        return settings(server.baseUrl());
    }

    private static Map<String, String> settings(String url) {
        return Map.of("OTA_SERVER_URL", url, "OTA_ADMIN_API_KEY", server.adminKey());
    }

    private static int port() {
        return URI.create(server.baseUrl()).getPort();
    }

    /** Publishes a package large enough that the upload is still going when the proxy cuts the connection. */
    private CommandRun.Result runThroughFlakyProxy(FlakyProxy.Fault fault, String... args) throws IOException {
        byte[] noise = new byte[512 * 1024];
        new java.util.Random(42).nextBytes(noise);
        Files.write(source.resolve("voice_model.bin"), noise);
        try (FlakyProxy proxy = new FlakyProxy(port(), fault, 100_000)) {
            CommandRun.Result result = CommandRun.run(CommandRun.environment(dir, settings(proxy.url())), args);
            assertThat(proxy.failed()).as("the proxy cut a connection").isTrue();
            return result;
        }
    }

    private static List<UpdateView> updates() {
        return api.get(ApiPaths.UPDATES, server.adminKey()).as(UpdatePage.class).updates();
    }

    private static UpdateView onlyUpdate() {
        List<UpdateView> updates = updates();
        assertThat(updates).hasSize(1);
        return updates.get(0);
    }

    private static Map<String, String> contents(Path root) throws IOException {
        Map<String, String> contents = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                contents.put(root.relativize(file).toString(), Sha256.of(file));
            }
        }
        return contents;
    }
}
