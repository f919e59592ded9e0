package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

class PublishTests extends ApiTestSupport {

    @Test
    void publishesAnUpdateAndSchedulesItForEveryDevice() throws IOException {
        register("UTC");
        register("Europe/Berlin");
        Path zip = samplePackage("v1.3.0", UpdateType.SCHEDULED, "libopus0,libopus-dev");
        Map<String, Object> form = form("v1.3.0", "scheduled", "libopus0,libopus-dev", null);
        form.put("package", zip);

        HttpApi.Response response = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);

        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        var body = response.json();
        assertThat(body.get("scheduled_devices").asInt()).isEqualTo(2);
        var update = body.get("update");
        assertThat(update.get("version").asText()).isEqualTo("v1.3.0");
        assertThat(update.get("update_type").asText()).isEqualTo("scheduled");
        assertThat(update.get("requires_system_packages").asBoolean()).isTrue();
        assertThat(update.get("system_packages").toString()).isEqualTo("[\"libopus0\",\"libopus-dev\"]");
        assertThat(update.get("size_bytes").asLong()).isEqualTo(Files.size(zip));
        assertThat(update.get("sha256").asText()).isEqualTo(dev.javia.ota.protocol.pkg.Sha256.of(zip));
        assertThat(update.get("package_url").asText())
                .isEqualTo("/api/v1/updates/" + update.get("id").asText() + "/download");
        assertThat(jdbc.queryForObject("select count(*) from device_updates where status = 'pending'", Integer.class))
                .isEqualTo(2);
    }

    @Test
    void theListCountsDevicesInEachStatus() {
        TestDevice a = register("UTC");
        register("UTC");
        String id = published("v1.1.0", "urgent");
        api.post(ApiPaths.updateStatus(id), a.token(), Map.of("status", "downloading"));

        var updates = api.get(ApiPaths.UPDATES, ADMIN).json().get("updates");
        assertThat(updates.size()).isEqualTo(1);
        var counts = updates.get(0).get("status_counts");
        assertThat(counts.get("pending").asInt()).isEqualTo(1);
        assertThat(counts.get("downloading").asInt()).isEqualTo(1);
        assertThat(counts.get("completed").asInt()).isZero();
        assertThat(api.get("/api/v1/updates", ADMIN).status()).isEqualTo(200);
    }

    @Test
    void listsNewestVersionFirst() {
        published("v1.2.0", "scheduled");
        published("v1.10.0", "scheduled");
        var updates = api.get(ApiPaths.UPDATES, ADMIN).json().get("updates");
        assertThat(updates.get(0).get("version").asText()).isEqualTo("v1.10.0");
        assertThat(updates.get(1).get("version").asText()).isEqualTo("v1.2.0");
    }

    @Test
    void refusesBadFormsWithAMessageAndPublishesNothing() {
        Path zip = samplePackage("v1.1.0", UpdateType.SCHEDULED, null);
        assertRefused(withPackage(form("1.1", "scheduled", null, null), zip), 400, "vMAJOR.MINOR.PATCH");
        assertRefused(withPackage(form("v1.1.0", "whenever", null, null), zip), 400,
                "update_type must be one of scheduled | urgent");
        assertRefused(withPackage(form("v1.1.0", "scheduled", "libopus0,-oDebug::NoLocking=1", null), zip), 400,
                "-oDebug::NoLocking=1");
        assertRefused(withPackage(form("v1.1.0", "scheduled", null, "not-a-uuid"), zip), 400, "must be a UUID");
        String stranger = newDeviceUuid();
        assertRefused(withPackage(form("v1.1.0", "scheduled", null, stranger), zip), 400,
                "not registered: " + stranger);
        assertRefused(form("v1.1.0", "scheduled", null, null), 400, "'package' is required");
        assertRefused(withPackage(form("v1.2.0", "scheduled", null, null), zip), 400,
                "says version v1.1.0 but the form says v1.2.0");
        assertRefused(withPackage(form("v1.1.0", "urgent", null, null), zip), 400, "says update_type scheduled");
        assertRefused(withPackage(form("v1.1.0", "scheduled", "libopus0", null), zip), 400,
                "lists system packages []");
        assertThat(jdbc.queryForObject("select count(*) from updates", Integer.class)).isZero();
    }

    @Test
    void refusesDuplicateAndOlderVersions() {
        published("v1.2.0", "scheduled");
        assertRefused(withPackage(form("v1.2.0", "scheduled", null, null),
                samplePackage("v1.2.0", UpdateType.SCHEDULED, null)), 409, "already published");
        assertRefused(withPackage(form("v1.1.9", "scheduled", null, null),
                samplePackage("v1.1.9", UpdateType.SCHEDULED, null)), 409, "older than v1.2.0");
        assertThat(jdbc.queryForObject("select count(*) from updates", Integer.class)).isEqualTo(1);
    }

    @Test
    void refusesAFileThatIsNotAZip() throws IOException {
        Path fake = Files.writeString(work.resolve("update_v1.1.0.zip"), "#!/bin/sh\nrm -rf /\n");
        assertRefused(withPackage(form("v1.1.0", "scheduled", null, null), fake), 400, "the package was refused");
        assertThat(storedFiles()).isZero();
    }

    @Test
    void refusesAZipThatEscapesItsDirectory() throws IOException {
        Path evil = work.resolve("evil.zip");
        try (OutputStream file = Files.newOutputStream(evil); ZipOutputStream zip = new ZipOutputStream(file)) {
            zip.putNextEntry(new ZipEntry("update_metadata.json"));
            zip.write(("{\"format_version\":1,\"version\":\"v1.1.0\",\"update_type\":\"scheduled\",\"description\":\"x\","
                    + "\"created_at\":\"2026-01-01T00:00:00Z\",\"requires_system_packages\":false,"
                    + "\"system_packages\":[],\"files\":[]}").getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new ZipEntry("pi_client/../../etc/cron.d/evil"));
            zip.write("* * * * * root true\n".getBytes(StandardCharsets.UTF_8));
        }
        assertRefused(withPackage(form("v1.1.0", "scheduled", null, null), evil), 400, "..");
        assertThat(storedFiles()).isZero();
    }

    /** Nothing was kept, and no upload scratch file was left behind. */
    private long storedFiles() throws IOException {
        try (var files = Files.walk(properties.storagePath())) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    private static Map<String, Object> withPackage(Map<String, Object> form, Path zip) {
        form.put("package", zip);
        return form;
    }

    private void assertRefused(Map<String, Object> form, int status, String detail) {
        assertProblem(api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form), status, detail);
    }
}
