package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.pkg.PackageLayout;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.server.testing.DashboardHttp;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Deltas through the HTTP API, with real packages: made at publish from the versions devices run, offered to a
 * device on the base, downloaded as the package is, and what the devices downloaded shown for the update and its
 * rollout. A delta that cannot be made, or saves too little, leaves the publish as it was: full packages.
 */
@ExtendWith(OutputCaptureExtension.class)
class DeltaUpdateTests extends ApiTestSupport {

    @Test
    void publishingMakesADeltaFromTheVersionADeviceRunsAndItsCheckOffersIt() throws IOException {
        Path v1 = release("v1.0.0", 1);
        published("v1.0.0", v1);
        TestDevice device = register("UTC", "v1.0.0");
        Path v2 = release("v1.1.0", 1);

        String id = published("v1.1.0", v2);

        Map<String, Object> row = jdbc.queryForMap("select * from update_deltas where update_id = ?::uuid", id);
        assertThat(row.get("base_version")).isEqualTo("v1.0.0");
        assertThat(row.get("base_manifest_sha256")).isEqualTo(manifestSha256(v1));
        assertThat(row.get("target_manifest_sha256")).isEqualTo(manifestSha256(v2));
        long size = (Long) row.get("size_bytes");
        assertThat(size).as("one small file changed beside a large one").isLessThan(Files.size(v2) / 10);
        Path stored = properties.storagePath().resolve((String) row.get("storage_key"));
        assertThat(stored).exists().hasSize(size);
        assertThat(Sha256.of(stored)).isEqualTo(row.get("sha256"));
        assertThat(jdbc.queryForObject("select manifest_sha256 from updates where id = ?::uuid", String.class, id))
                .isEqualTo(manifestSha256(v2));
        JsonNode audit = api.get(ApiPaths.AUDIT + "?action=update.published&target_id=" + id, ADMIN).json()
                .get("entries").get(0).get("details").get("deltas");
        assertThat(audit).hasSize(1);
        assertThat(audit.get(0).get("base_version").asText()).isEqualTo("v1.0.0");
        assertThat(audit.get(0).get("size_bytes").asLong()).isEqualTo(size);

        JsonNode offer = api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update");
        JsonNode delta = offer.get("delta");
        assertThat(delta.get("base_version").asText()).isEqualTo("v1.0.0");
        assertThat(delta.get("base_manifest_sha256").asText()).isEqualTo(manifestSha256(v1));
        assertThat(delta.get("manifest_sha256").asText()).isEqualTo(manifestSha256(v2));
        assertThat(delta.get("url").asText()).isEqualTo(ApiPaths.deltaDownload(id, "v1.0.0"));
        assertThat(delta.get("size_bytes").asLong()).isEqualTo(size);
        assertThat(delta.get("sha256").asText()).isEqualTo(row.get("sha256"));
        assertThat(offer.get("package_url").asText()).as("the package stays offered").isEqualTo(ApiPaths.download(id));

        HttpApi.Response download = api.get(delta.get("url").asText(), device.token());
        assertThat(download.status()).as("%s", download).isEqualTo(200);
        assertThat(Sha256.of(download.bytes())).isEqualTo(delta.get("sha256").asText());
        try (var zip = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(download.bytes()))) {
            List<String> names = new java.util.ArrayList<>();
            for (var entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
                names.add(entry.getName());
            }
            assertThat(names).contains(PackageLayout.METADATA).noneMatch(name -> name.endsWith("model.bin"));
        }
    }

    @Test
    void anotherInstanceOffersAndServesTheDeltaAndForgetsItWhenItsRowGoes() throws IOException {
        published("v1.0.0", release("v1.0.0", 1));
        TestDevice device = register("UTC", "v1.0.0");
        String id = published("v1.1.0", release("v1.1.0", 1));
        try (ConfigurableApplicationContext second = startSecondInstance(Map.of())) {
            second.getBean(MutableClock.class).set(clock.instant());
            HttpApi b = new HttpApi("http://127.0.0.1:"
                    + ((WebServerApplicationContext) second).getWebServer().getPort());
            JsonNode delta = b.get(ApiPaths.check(device.uuid()), device.token()).json().get("update").get("delta");
            assertThat(delta.get("base_version").asText()).as("%s", delta).isEqualTo("v1.0.0");
            HttpApi.Response download = b.get(delta.get("url").asText(), device.token());
            assertThat(download.status()).isEqualTo(200);
            assertThat(Sha256.of(download.bytes())).isEqualTo(delta.get("sha256").asText());
            assertThat(api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update").get("delta")
                    .isNull()).isFalse();

            // by hand, as an operator might: every instance's cached offer forgets it
            jdbc.update("delete from update_deltas where update_id = ?::uuid", id);

            for (HttpApi instance : List.of(api, b)) {
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                        assertThat(instance.get(ApiPaths.check(device.uuid()), device.token()).json().get("update")
                                .get("delta").isNull()).isTrue());
            }
            assertThat(b.get(delta.get("url").asText(), device.token()).status()).isEqualTo(404);
        }
    }

    @Test
    void aDeviceOnAVersionTheServerNeverPublishedIsOfferedNoDelta() throws IOException {
        published("v1.0.0", release("v1.0.0", 1));
        TestDevice stranger = register("UTC", "v0.9.0");
        TestDevice known = register("UTC", "v1.0.0");

        String id = published("v1.1.0", release("v1.1.0", 1));

        assertThat(jdbc.queryForList("select base_version from update_deltas where update_id = ?::uuid",
                String.class, id)).containsExactly("v1.0.0");
        JsonNode offer = api.get(ApiPaths.check(stranger.uuid()), stranger.token()).json().get("update");
        assertThat(offer.get("version").asText()).isEqualTo("v1.1.0");
        assertThat(offer.get("delta").isNull()).as("%s", offer).isTrue();
        assertThat(api.get(ApiPaths.check(known.uuid()), known.token()).json().get("update").get("delta").isNull())
                .isFalse();
        assertThat(api.get(ApiPaths.deltaDownload(id, "v0.9.0"), stranger.token()).status()).isEqualTo(404);
    }

    @Test
    void theDeltaDownloadFollowsThePackagesRules() throws IOException {
        published("v1.0.0", release("v1.0.0", 1));
        TestDevice device = register("UTC", "v1.0.0");
        String id = published("v1.1.0", release("v1.1.0", 1), device.uuid());
        TestDevice other = register("UTC", "v1.0.0");
        String url = ApiPaths.deltaDownload(id, "v1.0.0");

        HttpApi.Response whole = api.get(url, device.token());
        assertThat(whole.status()).as("%s", whole).isEqualTo(200);
        byte[] bytes = whole.bytes();
        String etag = "\"" + Sha256.of(bytes) + "\"";
        assertThat(whole.header("ETag")).isEqualTo(etag);
        assertThat(whole.header("Accept-Ranges")).isEqualTo("bytes");
        assertThat(whole.header("Content-Type")).isEqualTo("application/zip");
        assertThat(whole.header("Content-Disposition")).contains("delta_v1.0.0_to_v1.1.0.zip");

        int from = bytes.length / 2;
        HttpApi.Response rest = api.get(url, device.token(), "Range", "bytes=" + from + "-");
        assertThat(rest.status()).isEqualTo(206);
        assertThat(rest.bytes()).isEqualTo(Arrays.copyOfRange(bytes, from, bytes.length));
        assertThat(rest.header("Content-Range")).isEqualTo("bytes " + from + "-" + (bytes.length - 1) + "/"
                + bytes.length);
        assertThat(api.get(url, device.token(), "If-None-Match", etag).status()).isEqualTo(304);
        HttpApi.Response outside = api.get(url, device.token(), "Range", "bytes=" + (bytes.length + 10) + "-");
        assertProblem(outside, 416, "not within");
        assertThat(outside.header("Content-Range")).isEqualTo("bytes */" + bytes.length);

        assertProblem(api.get(url, other.token()), 403, "not scheduled for device " + other.uuid());
        assertThat(api.get(url, null).status()).isEqualTo(401);
        assertThat(api.get(url, ADMIN).status()).isEqualTo(200);
        assertProblem(api.get(ApiPaths.deltaDownload(id, "v1.0.1"), device.token()), 404, "download the package");
        assertProblem(api.get(ApiPaths.deltaDownload(id, "not-a-version"), ADMIN), 404, "no delta");
        assertThat(api.get(ApiPaths.deltaDownload(java.util.UUID.randomUUID(), "v1.0.0"), ADMIN).status())
                .isEqualTo(404);
    }

    @Test
    void aRollbackOfferNamesNoDelta() throws IOException {
        published("v1.0.0", release("v1.0.0", 1));
        TestDevice device = register("UTC", "v1.0.0");
        String good = published("v1.1.0", release("v1.1.0", 1));
        install(device, good, 1000, "delta");
        String bad = published("v1.2.0", release("v1.2.0", 1));
        install(device, bad, 1000, "delta");

        HttpApi.Response rollback = api.post(ApiPaths.rolloutAction(rolloutOf(bad), "rollback"), ADMIN,
                Map.of("to_version", "v1.1.0"));
        assertThat(rollback.status()).as("%s", rollback).isEqualTo(201);
        // the device's version changed where no scheduler saw it, to the base of v1.1.0's delta
        jdbc.update("update devices set current_version = 'v1.0.0' where device_uuid = ?", device.uuid());

        assertThat(jdbc.queryForList("select base_version from update_deltas where update_id = ?::uuid",
                String.class, good)).containsExactly("v1.0.0");
        JsonNode offer = api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update");
        assertThat(offer.get("version").asText()).as("%s", offer).isEqualTo("v1.1.0");
        assertThat(offer.get("rollback").asBoolean()).isTrue();
        assertThat(offer.get("delta").isNull()).as("%s", offer).isTrue();
    }

    @Test
    void completedReportsAddUpForTheUpdateTheRolloutAndItsPage() throws IOException {
        published("v1.0.0", release("v1.0.0", 1));
        TestDevice byDelta = register("UTC", "v1.0.0");
        TestDevice byPackage = register("UTC", "v1.0.0");
        TestDevice oldAgent = register("UTC", "v1.0.0");
        TestDevice stillGoing = register("UTC", "v1.0.0");
        Path v2 = release("v1.1.0", 1);
        String id = published("v1.1.0", v2);
        long full = Files.size(v2);
        long deltaSize = jdbc.queryForObject("select size_bytes from update_deltas where update_id = ?::uuid",
                Long.class, id);

        install(byDelta, id, deltaSize, "delta");
        // a delta tried first, then the package: both count
        install(byPackage, id, full + 100, "full");
        for (String status : List.of("downloading", "installing", "completed")) {
            assertThat(report(oldAgent, id, status, null).status()).isEqualTo(200);
        }
        report(stillGoing, id, "downloading", null);
        assertThat(status(stillGoing, id, "installing", 500L, "delta").status()).isEqualTo(200);

        JsonNode update = api.get(ApiPaths.update(id), ADMIN).json().get("delivery");
        assertThat(update.get("devices").asLong()).as("%s", update).isEqualTo(2);
        assertThat(update.get("downloaded_bytes").asLong()).isEqualTo(deltaSize + full + 100);
        assertThat(update.get("full_bytes").asLong()).isEqualTo(2 * full);
        assertThat(update.get("delta_devices").asLong()).isEqualTo(1);
        JsonNode listed = api.get(ApiPaths.UPDATES, ADMIN).json().get("updates").get(0);
        assertThat(listed.get("delivery")).isEqualTo(update);

        String rolloutId = rolloutOf(id);
        JsonNode rollout = api.get(ApiPaths.rollout(rolloutId), ADMIN).json().get("delivery");
        assertThat(rollout).isEqualTo(update);
        assertThat(jdbc.queryForMap("select downloaded_bytes, delivery from device_updates where device_id ="
                + " (select id from devices where device_uuid = ?)", oldAgent.uuid()))
                .containsEntry("downloaded_bytes", null).containsEntry("delivery", null);

        DashboardHttp dashboard = new DashboardHttp(port);
        String page = dashboard.get("/rollouts/" + rolloutId, dashboard.signIn(ADMIN)).body();
        long saved = Math.max(0, 2 * full - deltaSize - full - 100);
        assertThat(page).contains("data-testid=\"rollout-delivery\"")
                .contains("(" + saved * 100 / (2 * full) + "% saved), 1 device by delta")
                .contains("1 device did not say");
    }

    @Test
    void aReportWithBytesBelowZeroOrAnUnknownDeliveryIsTakenWithoutThem() throws IOException {
        published("v1.0.0", release("v1.0.0", 1));
        TestDevice device = register("UTC", "v1.0.0");
        String id = published("v1.1.0", release("v1.1.0", 1));
        report(device, id, "downloading", null);
        report(device, id, "installing", null);

        HttpApi.Response completed = status(device, id, "completed", -5L, "carrier-pigeon");

        assertThat(completed.status()).as("%s", completed).isEqualTo(200);
        assertThat(completed.json().get("status").asText()).isEqualTo("completed");
        assertThat(jdbc.queryForMap("select downloaded_bytes, delivery from device_updates where update_id = ?::uuid",
                id)).containsEntry("downloaded_bytes", null).containsEntry("delivery", null);
        assertThat(api.get(ApiPaths.update(id), ADMIN).json().get("delivery").get("devices").asLong()).isZero();
    }

    @Test
    void aDeltaThatCannotBeMadeLeavesThePublishAsItWas(CapturedOutput output) throws IOException {
        published("v1.0.0", release("v1.0.0", 1));
        TestDevice device = register("UTC", "v1.0.0");
        Files.delete(properties.storagePath().resolve("updates/v1.0.0/update_v1.0.0.zip"));

        HttpApi.Response created = publish("v1.1.0", release("v1.1.0", 1), null);

        assertThat(created.status()).as("%s", created).isEqualTo(201);
        String id = created.json().get("update").get("id").asText();
        assertThat(jdbc.queryForObject("select count(*) from update_deltas", Long.class)).isZero();
        assertThat(output.getAll()).contains("delta not made base_version=v1.0.0 version=v1.1.0");
        JsonNode offer = api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update");
        assertThat(offer.get("id").asText()).isEqualTo(id);
        assertThat(offer.get("delta").isNull()).isTrue();
    }

    @Test
    void aDeltaNotClearlySmallerThanThePackageIsNotKept(CapturedOutput output) throws IOException {
        published("v1.0.0", release("v1.0.0", 1));
        register("UTC", "v1.0.0");

        // every byte of the large file changed: the delta holds it whole, about the package's size
        String id = published("v1.1.0", release("v1.1.0", 2));

        assertThat(jdbc.queryForObject("select count(*) from update_deltas where update_id = ?::uuid", Long.class,
                id)).isZero();
        assertThat(output.getAll()).contains("delta not kept base_version=v1.0.0 version=v1.1.0");
        try (var files = Files.list(properties.storagePath().resolve("updates/v1.1.0"))) {
            assertThat(files.map(file -> file.getFileName().toString()).toList())
                    .containsExactly("update_v1.1.0.zip");
        }
    }

    @Test
    void theBasesAreTheVersionsDevicesRunAndTheLastPublished() throws IOException {
        for (String version : List.of("v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0")) {
            published(version, release(version, 1));
        }
        register("UTC", "v1.0.0");
        register("UTC", "v0.5.0");

        String id = published("v1.5.0", release("v1.5.0", 1));

        assertThat(jdbc.queryForList("select base_version from update_deltas where update_id = ?::uuid"
                + " order by base_version", String.class, id))
                .containsExactly("v1.0.0", "v1.2.0", "v1.3.0", "v1.4.0");
    }

    @Test
    void aPackageWithAnAgentReleaseHasNoDeltaAndIsNoBase(CapturedOutput output) throws IOException {
        published("v1.0.0", release("v1.0.0", 1));
        register("UTC", "v1.0.0");
        Map<String, Object> form = form("v1.1.0", "urgent", null, null);
        form.put("package", AgentReleaseTests.agentPackage(work, "v1.1.0", "v0.2.0", true));
        HttpApi.Response agent = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
        assertThat(agent.status()).as("%s", agent).isEqualTo(201);
        assertThat(output.getAll()).contains("deltas not made version=v1.1.0: the package carries an agent release");

        String id = published("v1.2.0", release("v1.2.0", 1));

        assertThat(jdbc.queryForObject("select count(*) from update_deltas where update_id = ?::uuid", Long.class,
                agent.json().get("update").get("id").asText())).isZero();
        assertThat(jdbc.queryForList("select base_version from update_deltas where update_id = ?::uuid",
                String.class, id)).containsExactly("v1.0.0");
        assertThat(output.getAll()).contains("delta not made base_version=v1.1.0 version=v1.2.0");
    }

    @Test
    void atMostTheSetNumberOfBasesTheMostDevicesFirstAndNoneAtZero() throws IOException {
        for (String version : List.of("v1.0.0", "v1.1.0", "v1.2.0")) {
            published(version, release(version, 1));
        }
        register("UTC", "v1.1.0");
        register("UTC", "v1.0.0");
        register("UTC", "v1.0.0");
        try (ConfigurableApplicationContext one = startSecondInstance(Map.of("ota.deltas.bases", "1"));
             ConfigurableApplicationContext none = startSecondInstance(Map.of("ota.deltas.bases", "0"))) {
            String first = publishedThrough(one, "v1.3.0");
            String second = publishedThrough(none, "v1.4.0");

            assertThat(jdbc.queryForList("select base_version from update_deltas where update_id = ?::uuid",
                    String.class, first)).containsExactly("v1.0.0");
            assertThat(jdbc.queryForObject("select count(*) from update_deltas where update_id = ?::uuid",
                    Long.class, second)).isZero();
        }
    }

    private String publishedThrough(ConfigurableApplicationContext instance, String version) throws IOException {
        instance.getBean(MutableClock.class).set(clock.instant());
        HttpApi other = new HttpApi("http://127.0.0.1:"
                + ((WebServerApplicationContext) instance).getWebServer().getPort());
        Map<String, Object> form = form(version, "scheduled", null, null);
        form.put("package", release(version, 1));
        HttpApi.Response created = other.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        return created.json().get("update").get("id").asText();
    }

    // ---- helpers

    private Path release(String version, int model) throws IOException {
        return ApiTestSupport.release(work, version, model);
    }

    private HttpApi.Response publish(String version, Path zip, String targets) {
        Map<String, Object> form = form(version, "scheduled", null, targets);
        form.put("package", zip);
        return api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
    }

    private String published(String version, Path zip) {
        return published(version, zip, null);
    }

    private String published(String version, Path zip, String targets) {
        HttpApi.Response response = publish(version, zip, targets);
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        return response.json().get("update").get("id").asText();
    }

    private String rolloutOf(String updateId) {
        return jdbc.queryForObject("select id::text from rollouts where update_id = ?::uuid order by created_at desc"
                + " limit 1", String.class, updateId);
    }

    /** The install's reports as an agent with deltas sends them. */
    private void install(TestDevice device, String updateId, long downloaded, String delivery) {
        assertThat(report(device, updateId, "downloading", null).status()).isEqualTo(200);
        assertThat(report(device, updateId, "installing", null).status()).isEqualTo(200);
        HttpApi.Response completed = status(device, updateId, "completed", downloaded, delivery);
        assertThat(completed.status()).as("%s", completed).isEqualTo(200);
    }

    private HttpApi.Response status(TestDevice device, String updateId, String status, Long downloaded,
            String delivery) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("device_uuid", device.uuid());
        body.put("status", status);
        body.put("downloaded_bytes", downloaded);
        body.put("delivery", delivery);
        return api.post(ApiPaths.updateStatus(updateId), device.token(), body);
    }

    /** What base_manifest_sha256 means, computed here without the server's code: SHA-256 of the entry's bytes. */
    private static String manifestSha256(Path zip) throws IOException {
        try (ZipFile file = new ZipFile(zip.toFile()); InputStream in = file.getInputStream(
                file.getEntry(PackageLayout.METADATA))) {
            return Sha256.of(in.readAllBytes());
        }
    }
}
