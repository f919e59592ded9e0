package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The window in force for each device (the operator's, the device's own DEVICE_UPDATE_HOUR, the fleet's), how it
 * moves the device's scheduled updates, and what the device's record shows of it and of the current update. The
 * clock is 2026-06-15 12:00 UTC; Los Angeles is at UTC-7, so its 02:00 is 09:00 UTC.
 */
class DeviceWindowTests extends ApiTestSupport {

    @Test
    void theRecordShowsTheFleetWindowAndTheCurrentUpdateAsTheCheckAnswersIt() {
        TestDevice la = register("America/Los_Angeles");
        published("v1.1.0", "scheduled");

        JsonNode record = device(la);
        JsonNode check = api.get(ApiPaths.check(la.uuid()), la.token()).json();

        assertThat(record.get("update_window").toString())
                .isEqualTo("{\"start_hour\":2,\"length_minutes\":180,\"source\":\"fleet\"}");
        JsonNode current = record.get("current_update");
        assertThat(current.get("version").asText()).isEqualTo("v1.1.0");
        assertThat(current.get("status").asText()).isEqualTo("pending");
        assertThat(current.get("scheduled_for").asText()).isEqualTo("2026-06-16T09:00:00Z");
        assertThat(Instant.parse(current.get("turn_at").asText()))
                .isBetween(Instant.parse("2026-06-16T09:00:00Z"), Instant.parse("2026-06-16T11:00:00Z"));
        assertThat(current.get("window_ends_at").asText()).isEqualTo("2026-06-16T12:00:00Z");
        assertThat(check.get("scheduled_for").asText()).isEqualTo(current.get("turn_at").asText());
        assertThat(check.get("window_ends_at").asText()).isEqualTo("2026-06-16T12:00:00Z");
        assertThat(current.get("step").isNull()).isTrue();
    }

    @Test
    void aDeviceThatMissedItsWindowIsGivenTheNextNightsTurnAndEnd() {
        TestDevice la = register("America/Los_Angeles");
        published("v1.1.0", "scheduled");
        Instant tonightsTurn = Instant.parse(checkOf(la).get("scheduled_for").asText());

        clock.set(Instant.parse("2026-06-16T12:00:01Z"));
        JsonNode check = checkOf(la);

        assertThat(Instant.parse(check.get("scheduled_for").asText())).isEqualTo(tonightsTurn.plus(Duration.ofDays(1)));
        assertThat(check.get("window_ends_at").asText()).isEqualTo("2026-06-17T12:00:00Z");
        assertThat(device(la).get("current_update").get("window_ends_at").asText()).isEqualTo("2026-06-17T12:00:00Z");
    }

    @Test
    void anOperatorsWindowMovesTheDevicesScheduledUpdateAndRemovingItMovesItBack() {
        TestDevice la = register("America/Los_Angeles");
        TestDevice other = register("America/Los_Angeles");
        published("v1.1.0", "scheduled");

        HttpApi.Response set = api.patch(ApiPaths.device(la.uuid()), ADMIN,
                Map.of("update_window", Map.of("start_hour", 4, "length_minutes", 120)));

        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        assertThat(set.json().get("update_window").toString())
                .isEqualTo("{\"start_hour\":4,\"length_minutes\":120,\"source\":\"operator\"}");
        assertThat(recordedFor(la)).isEqualTo("2026-06-16T11:00:00Z");
        JsonNode check = checkOf(la);
        assertThat(Instant.parse(check.get("scheduled_for").asText()))
                .isBetween(Instant.parse("2026-06-16T11:00:00Z"), Instant.parse("2026-06-16T12:20:00Z"));
        assertThat(check.get("window_ends_at").asText()).isEqualTo("2026-06-16T13:00:00Z");
        assertThat(recordedFor(other)).as("another device's window").isEqualTo("2026-06-16T09:00:00Z");

        Map<String, Object> remove = new HashMap<>();
        remove.put("update_window", null);
        HttpApi.Response removed = api.patch(ApiPaths.device(la.uuid()), ADMIN, remove);

        assertThat(removed.json().get("update_window").get("source").asText()).isEqualTo("fleet");
        assertThat(recordedFor(la)).isEqualTo("2026-06-16T09:00:00Z");
        assertThat(checkOf(la).get("window_ends_at").asText()).isEqualTo("2026-06-16T12:00:00Z");
    }

    @Test
    void theDevicesOwnHourIsInForceUnlessTheOperatorSetAWindow() {
        TestDevice utc = register("UTC");
        published("v1.1.0", "scheduled");
        assertThat(recordedFor(utc)).isEqualTo("2026-06-16T02:00:00Z");

        heartbeat(utc, Map.of("update_hour", 4));
        assertThat(device(utc).get("update_window").toString())
                .isEqualTo("{\"start_hour\":4,\"length_minutes\":180,\"source\":\"device\"}");
        assertThat(recordedFor(utc)).isEqualTo("2026-06-16T04:00:00Z");

        api.patch(ApiPaths.device(utc.uuid()), ADMIN, Map.of("update_window", Map.of("start_hour", 1)));
        heartbeat(utc, Map.of("update_hour", 5));
        assertThat(device(utc).get("update_window").toString())
                .as("the operator outranks the device; the length is the fleet's when the operator gives none")
                .isEqualTo("{\"start_hour\":1,\"length_minutes\":180,\"source\":\"operator\"}");
        assertThat(recordedFor(utc)).isEqualTo("2026-06-16T01:00:00Z");

        Map<String, Object> remove = new HashMap<>();
        remove.put("update_window", null);
        api.patch(ApiPaths.device(utc.uuid()), ADMIN, remove);
        assertThat(device(utc).get("update_window").get("start_hour").asInt()).as("the device's latest hour").isEqualTo(5);
        assertThat(recordedFor(utc)).isEqualTo("2026-06-16T05:00:00Z");

        heartbeat(utc, Map.of());
        assertThat(device(utc).get("update_window").get("source").asText()).as("{} clears the device's hour")
                .isEqualTo("fleet");
        assertThat(recordedFor(utc)).isEqualTo("2026-06-16T02:00:00Z");

        api.post(ApiPaths.heartbeat(utc.uuid()), utc.token(), Map.of("current_version", "v1.0.0"));
        assertThat(device(utc).get("update_window").get("source").asText())
                .as("a heartbeat without settings (an older agent) changes nothing").isEqualTo("fleet");
    }

    @Test
    void publishingSchedulesEachDeviceAtTheStartOfItsOwnWindow() {
        TestDevice fleet = register("UTC");
        TestDevice ownHour = register("UTC");
        TestDevice operators = register("UTC");
        TestDevice berlin = register("Europe/Berlin");
        heartbeat(ownHour, Map.of("update_hour", 4));
        api.patch(ApiPaths.device(operators.uuid()), ADMIN, Map.of("update_window", Map.of("start_hour", 23)));
        heartbeat(berlin, Map.of("update_hour", 4));

        published("v1.1.0", "scheduled");

        assertThat(recordedFor(fleet)).isEqualTo("2026-06-16T02:00:00Z");
        assertThat(recordedFor(ownHour)).isEqualTo("2026-06-16T04:00:00Z");
        assertThat(recordedFor(operators)).isEqualTo("2026-06-15T23:00:00Z");
        assertThat(recordedFor(berlin)).isEqualTo("2026-06-16T02:00:00Z");
    }

    @Test
    void aDeviceThatJoinsLaterIsScheduledInItsOwnWindow() {
        published("v1.1.0", "scheduled");
        TestDevice utc = register("UTC", "v1.0.0");
        assertThat(recordedFor(utc)).isEqualTo("2026-06-16T02:00:00Z");

        heartbeat(utc, Map.of("update_hour", 3));
        published("v1.2.0", "scheduled");
        api.post(ApiPaths.heartbeat(utc.uuid()), utc.token(), Map.of("current_version", "v1.1.0"));

        assertThat(recordedFor(utc)).isEqualTo("2026-06-16T03:00:00Z");
    }

    @Test
    void anOperatorsMomentIsKeptWhenTheWindowChanges() {
        TestDevice utc = register("UTC");
        published("v1.1.0", "scheduled");
        Instant momentAgo = NOON_UTC.minusSeconds(60);
        jdbc.update("update device_updates set scheduled_for = ?", Timestamp.from(momentAgo));

        api.patch(ApiPaths.device(utc.uuid()), ADMIN, Map.of("update_window", Map.of("start_hour", 4)));

        assertThat(recordedFor(utc)).isEqualTo(momentAgo.toString());
        assertThat(checkOf(utc).get("scheduled_for").asText()).isEqualTo(momentAgo.toString());
    }

    @Test
    void anOperatorRenamesADevice() {
        TestDevice device = register("UTC");

        HttpApi.Response renamed = api.raw("PATCH", ApiPaths.device(device.uuid()), ADMIN,
                "application/merge-patch+json", "{\"device_name\": \"  hall  \"}");

        assertThat(renamed.status()).as(renamed.toString()).isEqualTo(200);
        assertThat(device(device).get("device_name").asText()).isEqualTo("hall");
        assertThat(device(device).get("update_window").get("source").asText()).as("left out: unchanged")
                .isEqualTo("fleet");
    }

    @Test
    void aWindowThatCannotBeIsRefusedAndNothingChanges() {
        TestDevice device = register("UTC");
        api.patch(ApiPaths.device(device.uuid()), ADMIN, Map.of("update_window", Map.of("start_hour", 3)));
        String path = ApiPaths.device(device.uuid());

        assertProblem(api.patch(path, ADMIN, Map.of("update_window", Map.of("start_hour", 24))), 400, "0 to 23");
        assertProblem(api.patch(path, ADMIN, Map.of("update_window", Map.of("length_minutes", 120))), 400,
                "start_hour");
        assertProblem(api.patch(path, ADMIN, Map.of("update_window", Map.of("start_hour", 1, "length_minutes", 30))),
                400, "60 to 720");
        assertProblem(api.patch(path, ADMIN, Map.of("update_window", Map.of("start_hour", 1, "length_minutes", 721))),
                400, "60 to 720");
        assertProblem(api.patch(path, ADMIN, Map.of("update_window", Map.of("start_hour", 1, "source", "fleet"))),
                400, "update_window.source is not a setting");
        assertProblem(api.patch(path, ADMIN, Map.of("update_window", "03:00")), 400, "update_window");
        assertProblem(api.patch(path, ADMIN, Map.of("update_window", Map.of("start_hour", "three"))), 400,
                "whole number");
        assertProblem(api.patch(path, ADMIN, Map.of("update_window", Map.of("start_hour", 3.5))), 400,
                "whole number");
        assertProblem(api.patch(path, ADMIN, Map.of("timezone", "UTC")), 400, "'timezone' cannot be changed");
        assertProblem(api.raw("PATCH", path, ADMIN, "application/json", "[1]"), 400, "JSON object");
        assertProblem(api.patch(path, ADMIN, Map.of("device_name", "x".repeat(101))), 400, "longer than");
        assertProblem(api.patch(ApiPaths.device(newDeviceUuid()), ADMIN, Map.of("device_name", "x")), 404,
                "no device");
        assertProblem(api.patch(path, device.token(), Map.of("update_window", Map.of("start_hour", 1))), 403,
                "admin key");

        assertThat(device(device).get("update_window").toString())
                .isEqualTo("{\"start_hour\":3,\"length_minutes\":180,\"source\":\"operator\"}");
    }

    @Test
    void theRecordShowsTheStepAndTheDownloadWhileTheDeviceInstalls() {
        TestDevice device = register("UTC");
        String update = published("v1.1.0", "urgent");
        api.post(ApiPaths.updateStatus(update), device.token(), Map.of("status", "downloading"));

        HttpApi.Response beat = api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("current_version", "v1.0.0", "status", "updating", "step", "downloading",
                        "progress_percent", 37));

        assertThat(beat.status()).as(beat.toString()).isEqualTo(200);
        JsonNode current = device(device).get("current_update");
        assertThat(device(device).get("status").asText()).isEqualTo("updating");
        assertThat(current.get("status").asText()).isEqualTo("downloading");
        assertThat(current.get("step").asText()).isEqualTo("downloading");
        assertThat(current.get("progress_percent").asInt()).isEqualTo(37);
        assertThat(current.get("window_ends_at").isNull()).as("urgent: no window").isTrue();

        api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("current_version", "v1.0.0", "status", "updating", "step", "system-packages"));
        assertThat(device(device).get("current_update").get("step").asText()).isEqualTo("system-packages");
        assertThat(device(device).get("current_update").get("progress_percent").isNull()).isTrue();

        api.post(ApiPaths.updateStatus(update), device.token(),
                Map.of("status", "failed", "error_message", "apt-get: libopus0 not found"));
        JsonNode failed = device(device).get("current_update");
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.get("error_message").asText()).isEqualTo("apt-get: libopus0 not found");
        assertThat(failed.get("step").isNull()).as("no step once the update ended").isTrue();
    }

    @Test
    void aStepOrSettingThatCannotBeIsRefused() {
        TestDevice device = register("UTC");
        String path = ApiPaths.heartbeat(device.uuid());

        assertProblem(api.post(path, device.token(), Map.of("status", "updating", "step", "Down Loading")), 400,
                "install step");
        assertProblem(api.post(path, device.token(), Map.of("status", "updating", "step", "x".repeat(33))), 400,
                "install step");
        assertProblem(api.post(path, device.token(), Map.of("status", "updating", "progress_percent", 101)), 400,
                "0 to 100");
        assertProblem(api.post(path, device.token(), Map.of("settings", Map.of("update_hour", 24))), 400,
                "DEVICE_UPDATE_HOUR");
        assertThat(device(device).get("update_window").get("source").asText()).isEqualTo("fleet");
    }

    @Test
    void theDeviceListShowsEachDevicesWindowAndCurrentUpdate() {
        TestDevice early = register("UTC");
        TestDevice late = register("UTC");
        heartbeat(late, Map.of("update_hour", 4));
        published("v1.1.0", "scheduled");
        register("UTC", "v1.1.0");

        JsonNode devices = api.get(ApiPaths.DEVICES, ADMIN).json().get("devices");

        Map<String, JsonNode> byUuid = new LinkedHashMap<>();
        devices.forEach(node -> byUuid.put(node.get("device_uuid").asText(), node));
        assertThat(byUuid).hasSize(3);
        assertThat(byUuid.get(early.uuid()).get("current_update").get("scheduled_for").asText())
                .isEqualTo("2026-06-16T02:00:00Z");
        assertThat(byUuid.get(late.uuid()).get("current_update").get("scheduled_for").asText())
                .isEqualTo("2026-06-16T04:00:00Z");
        assertThat(byUuid.values()).filteredOn(node -> node.get("current_update").isNull()).hasSize(1);
    }

    private void heartbeat(TestDevice device, Map<String, Object> settings) {
        HttpApi.Response beat = api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("current_version", "v1.0.0", "settings", settings));
        assertThat(beat.status()).as(beat.toString()).isEqualTo(200);
    }

    private JsonNode device(TestDevice device) {
        HttpApi.Response response = api.get(ApiPaths.device(device.uuid()), ADMIN);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        return response.json();
    }

    private JsonNode checkOf(TestDevice device) {
        return api.get(ApiPaths.check(device.uuid()), device.token()).json();
    }

    /** The scheduled_for the server recorded for the device's pending update. */
    private String recordedFor(TestDevice device) {
        return jdbc.queryForObject("""
                select du.scheduled_for from device_updates du join devices d on d.id = du.device_id
                where d.device_uuid = ? and du.status = 'pending'
                """, Timestamp.class, device.uuid()).toInstant().toString();
    }
}
