package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "Which devices failed and why" in one request, one update's counts, one device's history, and the operator's
 * "install now" for one device.
 */
class UpdateReportTests extends ApiTestSupport {

    private final List<TestDevice> fleet = new ArrayList<>();
    private String updateId;

    @BeforeEach
    void aFleetWithFailures() {
        for (int i = 0; i < 5; i++) {
            fleet.add(register("UTC", "v1.0.0"));
        }
        updateId = published("v1.1.0", "urgent");
        fail(fleet.get(0), "apt-get install failed: E: Unable to locate package libfoo");
        clock.advance(Duration.ofMinutes(1));
        fail(fleet.get(1), "apt-get install failed: E: Unable to locate package libfoo");
        clock.advance(Duration.ofMinutes(1));
        fail(fleet.get(2), "health check failed: voice-assistant.service is not active");
        report(fleet.get(3), "downloading", null);
        report(fleet.get(3), "installing", null);
        report(fleet.get(3), "completed", null);
    }

    @Test
    void whichDevicesFailedAndWhy() {
        HttpApi.Response answer = api.get(ApiPaths.updateDevices(updateId) + "?status=failed", ADMIN);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        JsonNode page = answer.json();
        assertThat(page.get("update_id").asText()).isEqualTo(updateId);
        assertThat(page.get("version").asText()).isEqualTo("v1.1.0");
        assertThat(page.get("status").asText()).isEqualTo("failed");
        assertThat(page.get("total_elements").asLong()).isEqualTo(3);
        // most recently changed first
        assertThat(uuids(page.get("devices"))).containsExactly(fleet.get(2).uuid(), fleet.get(1).uuid(),
                fleet.get(0).uuid());
        assertThat(page.get("devices").get(0).get("error_message").asText()).contains("voice-assistant.service");

        JsonNode failures = page.get("failures");
        assertThat(failures).hasSize(2);
        assertThat(failures.get(0).get("error_message").asText()).contains("Unable to locate package libfoo");
        assertThat(failures.get(0).get("devices").asLong()).isEqualTo(2);
        assertThat(failures.get(0).get("device_uuids")).extracting(JsonNode::asText)
                .containsExactly(fleet.get(1).uuid(), fleet.get(0).uuid());
        assertThat(failures.get(1).get("devices").asLong()).isEqualTo(1);
    }

    @Test
    void everyDeviceOfTheUpdateAPageAtATime() {
        JsonNode first = api.get(ApiPaths.updateDevices(updateId) + "?size=2", ADMIN).json();
        JsonNode last = api.get(ApiPaths.updateDevices(updateId) + "?size=2&page=2", ADMIN).json();

        assertThat(first.get("total_elements").asLong()).isEqualTo(5);
        assertThat(first.get("total_pages").asInt()).isEqualTo(3);
        assertThat(first.get("status").isNull()).isTrue();
        assertThat(first.get("devices")).hasSize(2);
        assertThat(last.get("devices")).hasSize(1);
        // the failures are the update's, whatever the page shows
        assertThat(last.get("failures")).hasSize(2);
    }

    @Test
    void oneUpdateWithItsCounts() {
        JsonNode update = api.get(ApiPaths.update(updateId), ADMIN).json();

        assertThat(update.get("version").asText()).isEqualTo("v1.1.0");
        JsonNode counts = update.get("status_counts");
        assertThat(counts.get("failed").asLong()).isEqualTo(3);
        assertThat(counts.get("completed").asLong()).isEqualTo(1);
        assertThat(counts.get("pending").asLong()).isEqualTo(1);
        assertThat(counts.get("superseded").asLong()).isZero();
    }

    @Test
    void aDeviceHistoryNewestVersionFirst() {
        TestDevice device = fleet.get(0);
        clock.advance(Duration.ofMinutes(1));
        String next = published("v1.2.0", "urgent");

        HttpApi.Response byAdmin = api.get(ApiPaths.deviceUpdates(device.uuid()), ADMIN);
        HttpApi.Response byItself = api.get(ApiPaths.deviceUpdates(device.uuid()), device.token());

        assertThat(byAdmin.status()).as(byAdmin.toString()).isEqualTo(200);
        assertThat(byAdmin.json()).extracting(row -> row.get("update_id").asText()).containsExactly(next, updateId);
        assertThat(byAdmin.json().get(1).get("status").asText()).isEqualTo("failed");
        assertThat(byAdmin.json().get(1).get("error_message").asText()).contains("libfoo");
        assertThat(byItself.json()).isEqualTo(byAdmin.json());
    }

    @Test
    void refusalsSayWhatToDo() {
        assertProblem(api.get(ApiPaths.updateDevices(updateId) + "?status=exploded", ADMIN), 400,
                "status must be one of");
        assertProblem(api.get(ApiPaths.updateDevices(updateId) + "?size=0", ADMIN), 400, "size between 1 and 500");
        assertProblem(api.get(ApiPaths.updateDevices(updateId) + "?page=2147483647&size=500", ADMIN), 400,
                "beyond any fleet");
        assertProblem(api.get(ApiPaths.update("0190f7a4-5b6c-7d8e-9f00-112233445566"), ADMIN), 404,
                "GET /api/v1/updates/ lists them");
        assertProblem(api.get(ApiPaths.updateDevices("0190f7a4-5b6c-7d8e-9f00-112233445566"), ADMIN), 404,
                "no update");
        assertProblem(api.get(ApiPaths.update("not-a-uuid"), ADMIN), 400, "id");
        assertProblem(api.get(ApiPaths.deviceUpdates("0190f7a4-5b6c-7d8e-9f00-112233445566"), ADMIN), 404,
                "no device");
        // an update's devices are the operator's business, not a device's
        assertThat(api.get(ApiPaths.updateDevices(updateId), fleet.get(0).token()).status()).isEqualTo(403);
        assertThat(api.get(ApiPaths.update(updateId), fleet.get(0).token()).status()).isEqualTo(403);
        assertThat(api.get(ApiPaths.deviceUpdates(fleet.get(1).uuid()), fleet.get(0).token()).status())
                .isEqualTo(403);
    }

    @Test
    void installNowMakesAScheduledUpdateDueAtOnceForThatDeviceAlone() {
        TestDevice device = register("Europe/Berlin");
        TestDevice neighbour = register("Europe/Berlin");
        String scheduled = published("v1.2.0", "scheduled");
        assertThat(turnOf(device)).isAfter(clock.instant());

        HttpApi.Response moved = api.post(ApiPaths.installNow(scheduled, device.uuid()), ADMIN, Map.of());

        assertThat(moved.status()).as(moved.toString()).isEqualTo(200);
        assertThat(moved.json().get("status").asText()).isEqualTo("pending");
        assertThat(turnOf(device)).isEqualTo(clock.instant());
        assertThat(turnOf(neighbour)).isAfter(clock.instant());
        // still due an hour later (inside one window's length): the device may be busy for a while
        clock.advance(Duration.ofHours(1));
        assertThat(turnOf(device)).isBefore(clock.instant());
    }

    @Test
    void installNowRefusesWhatItCannotMove() {
        String scheduled = published("v1.2.0", "scheduled");
        TestDevice started = fleet.get(0);
        api.post(ApiPaths.updateStatus(scheduled), started.token(), Map.of("status", "downloading"));

        assertProblem(api.post(ApiPaths.installNow(scheduled, started.uuid()), ADMIN, Map.of()), 409,
                "only a pending update can be installed now; on this device it is downloading");
        assertProblem(api.post(ApiPaths.installNow(updateId, fleet.get(4).uuid()), ADMIN, Map.of()), 409,
                "superseded: install the newer one");
        assertProblem(api.post(ApiPaths.installNow("0190f7a4-5b6c-7d8e-9f00-112233445566", started.uuid()), ADMIN,
                Map.of()), 404, "no update");
        assertProblem(api.post(ApiPaths.installNow(scheduled, "0190f7a4-5b6c-7d8e-9f00-112233445566"), ADMIN,
                Map.of()), 404, "no device");
        // an operator's word, not a device's: a device cannot jump the queue of its own window
        assertThat(api.post(ApiPaths.installNow(scheduled, fleet.get(1).uuid()), fleet.get(1).token(), Map.of())
                .status()).isEqualTo(403);
    }

    private java.time.Instant turnOf(TestDevice device) {
        return java.time.Instant.parse(api.get(ApiPaths.check(device.uuid()), device.token()).json()
                .get("scheduled_for").asText());
    }

    private void fail(TestDevice device, String error) {
        report(device, "downloading", null);
        report(device, "failed", error);
    }

    private void report(TestDevice device, String status, String error) {
        Map<String, Object> body = error == null ? Map.of("status", status)
                : Map.of("status", status, "error_message", error);
        HttpApi.Response answer = api.post(ApiPaths.updateStatus(updateId), device.token(), body);
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    }

    private static List<String> uuids(JsonNode rows) {
        List<String> uuids = new ArrayList<>();
        rows.forEach(row -> uuids.add(row.get("device_uuid").asText()));
        return uuids;
    }
}
