package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Who gets which update, and when: fleet-wide scheduling in each device's own night, supersession, latecomers. */
class SchedulingTests extends ApiTestSupport {

    @Test
    void aScheduledUpdateIsDueAtTwoAmInEachDevicesTimezone() {
        TestDevice la = register("America/Los_Angeles");
        TestDevice berlin = register("Europe/Berlin");
        TestDevice kolkata = register("Asia/Kolkata");
        TestDevice utc = register("UTC");
        TestDevice lordHowe = register("Australia/Lord_Howe");

        assertThat(publish("v1.1.0", "scheduled").json().get("scheduled_devices").asInt()).isEqualTo(5);

        assertThat(scheduledFor(la)).isEqualTo("2026-06-16T09:00:00Z");
        assertThat(scheduledFor(berlin)).isEqualTo("2026-06-16T00:00:00Z");
        assertThat(scheduledFor(kolkata)).isEqualTo("2026-06-15T20:30:00Z");
        assertThat(scheduledFor(utc)).isEqualTo("2026-06-16T02:00:00Z");
        assertThat(scheduledFor(lordHowe)).isEqualTo("2026-06-15T15:30:00Z");
    }

    @Test
    void onTheNightsOfADstChangeTheWindowFollowsJavaTime() {
        clock.set(Instant.parse("2026-03-07T20:00:00Z"));
        TestDevice la = register("America/Los_Angeles");
        published("v1.1.0", "scheduled");
        assertThat(scheduledFor(la)).isEqualTo("2026-03-08T10:00:00Z");

        clock.set(Instant.parse("2026-10-24T12:00:00Z"));
        TestDevice berlin = register("Europe/Berlin", "v1.1.0");
        published("v1.2.0", "scheduled");
        assertThat(scheduledFor(berlin)).isEqualTo("2026-10-25T00:00:00Z");

        clock.set(Instant.parse("2026-10-03T06:00:00Z"));
        TestDevice lordHowe = register("Australia/Lord_Howe", "v1.2.0");
        published("v1.3.0", "scheduled");
        assertThat(scheduledFor(lordHowe)).isEqualTo("2026-10-03T15:30:00Z");
    }

    @Test
    void anUrgentUpdateIsDueAtOnce() {
        TestDevice device = register("Asia/Kolkata");
        published("v1.1.0", "urgent");

        HttpApi.Response check = api.get(ApiPaths.check(device.uuid()), device.token());
        assertThat(check.status()).isEqualTo(200);
        var body = check.json();
        assertThat(body.get("update_available").asBoolean()).isTrue();
        assertThat(body.get("scheduled_for").asText()).isEqualTo("2026-06-15T12:00:00Z");
        assertThat(body.get("status").asText()).isEqualTo("pending");
        assertThat(body.get("check_interval_seconds").asInt()).isEqualTo(300);
        var update = body.get("update");
        assertThat(update.get("version").asText()).isEqualTo("v1.1.0");
        assertThat(update.get("update_type").asText()).isEqualTo("urgent");
        assertThat(update.get("sha256").asText()).hasSize(64);
        assertThat(update.get("size_bytes").asLong()).isPositive();
        assertThat(update.get("package_url").asText()).endsWith("/download");
        assertThat(update.get("system_packages").isArray()).isTrue();
    }

    @Test
    void aDeviceWithNothingDueIsToldSo() {
        TestDevice device = register("UTC");
        var body = api.get(ApiPaths.check(device.uuid()), device.token()).json();
        assertThat(body.get("update_available").asBoolean()).isFalse();
        assertThat(body.get("update").isNull()).isTrue();
    }

    @Test
    void aHeartbeatAnswersTheUpdateCheckToo() {
        TestDevice device = register("Europe/Berlin");
        var quiet = api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.0.0"))
                .json().get("update_check");
        assertThat(quiet.get("update_available").asBoolean()).isFalse();
        assertThat(quiet.get("check_interval_seconds").asInt()).isEqualTo(300);

        published("v1.1.0", "scheduled");
        var due = api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.0.0"))
                .json().get("update_check");
        assertThat(due).isEqualTo(api.get(ApiPaths.check(device.uuid()), device.token()).json());
        assertThat(due.get("update").get("version").asText()).isEqualTo("v1.1.0");
        assertThat(due.get("scheduled_for").asText()).isEqualTo("2026-06-16T00:00:00Z");
    }

    @Test
    void aNewerUpdateSupersedesAnOlderOneThatHasNotStarted() {
        TestDevice idle = register("UTC");
        TestDevice busy = register("UTC");
        String first = published("v1.1.0", "scheduled");
        api.post(ApiPaths.updateStatus(first), busy.token(), Map.of("status", "downloading"));

        published("v1.2.0", "urgent");

        assertThat(statusOf(idle, "v1.1.0")).isEqualTo("superseded");
        assertThat(statusOf(busy, "v1.1.0")).isEqualTo("downloading");
        assertThat(checkedVersion(idle)).isEqualTo("v1.2.0");
        assertProblem(api.post(ApiPaths.updateStatus(first), idle.token(), Map.of("status", "downloading")), 409,
                "superseded");
        var counts = api.get(ApiPaths.UPDATES, ADMIN).json().get(1).get("status_counts");
        assertThat(counts.get("superseded").asInt()).isEqualTo(1);
    }

    @Test
    void aDeviceThatRegistersLaterGetsTheNewestUpdate() {
        published("v1.1.0", "scheduled");
        published("v1.2.0", "scheduled");
        TestDevice latecomer = register("Europe/Berlin", "v1.0.0");

        assertThat(checkedVersion(latecomer)).isEqualTo("v1.2.0");
        assertThat(scheduledFor(latecomer)).isEqualTo("2026-06-16T00:00:00Z");
        assertThat(jdbc.queryForObject("select count(*) from device_updates", Integer.class)).isEqualTo(1);
    }

    @Test
    void aDeviceAlreadyOnTheVersionIsNotScheduled() {
        TestDevice current = register("UTC", "v1.1.0");
        TestDevice behind = register("UTC", "v1.0.0");

        assertThat(publish("v1.1.0", "urgent").json().get("scheduled_devices").asInt()).isEqualTo(1);
        assertThat(checkedVersion(behind)).isEqualTo("v1.1.0");
        assertThat(api.get(ApiPaths.check(current.uuid()), current.token()).json().get("update_available")
                .asBoolean()).isFalse();
        TestDevice newer = register("UTC", "v2.0.0");
        assertThat(api.get(ApiPaths.check(newer.uuid()), newer.token()).json().get("update_available").asBoolean())
                .isFalse();
    }

    @Test
    void aDeviceThatReportsAnOlderVersionGetsTheNewestAgain() {
        TestDevice device = register("UTC", "v1.0.0");
        String id = published("v1.1.0", "urgent");
        for (String status : new String[] {"downloading", "installing", "completed"}) {
            api.post(ApiPaths.updateStatus(id), device.token(), Map.of("status", status));
        }
        assertThat(api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update_available").asBoolean())
                .isFalse();

        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.0.0"));

        assertThat(checkedVersion(device)).isEqualTo("v1.1.0");
        assertThat(statusOf(device, "v1.1.0")).isEqualTo("pending");
    }

    @Test
    void aFailedUpdateIsNotOfferedAgainOnItsOwn() {
        TestDevice device = register("UTC", "v1.0.0");
        String id = published("v1.1.0", "urgent");
        api.post(ApiPaths.updateStatus(id), device.token(), Map.of("status", "downloading"));
        api.post(ApiPaths.updateStatus(id), device.token(), Map.of("status", "failed", "error_message", "disk full"));

        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.0.0-dirty"));

        assertThat(api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update_available").asBoolean())
                .isFalse();
        assertThat(statusOf(device, "v1.1.0")).isEqualTo("failed");
    }

    @Test
    void targetedUpdatesReachOnlyTheirTargets() {
        TestDevice canary = register("UTC");
        TestDevice rest = register("UTC");

        HttpApi.Response response = publish("v1.1.0", "urgent", null, canary.uuid());

        assertThat(response.json().get("scheduled_devices").asInt()).isEqualTo(1);
        assertThat(checkedVersion(canary)).isEqualTo("v1.1.0");
        assertThat(api.get(ApiPaths.check(rest.uuid()), rest.token()).json().get("update_available").asBoolean())
                .isFalse();
        TestDevice latecomer = register("UTC");
        assertThat(api.get(ApiPaths.check(latecomer.uuid()), latecomer.token()).json().get("update_available")
                .asBoolean()).isFalse();
    }

    @Test
    void aScheduleInThePastMeansInstallNow() {
        TestDevice device = register("UTC");
        published("v1.1.0", "scheduled");
        jdbc.update("update device_updates set scheduled_for = '2026-06-14T00:00:00Z'");

        var body = api.get(ApiPaths.check(device.uuid()), device.token()).json();
        assertThat(body.get("update_available").asBoolean()).isTrue();
        assertThat(Instant.parse(body.get("scheduled_for").asText())).isBefore(NOON_UTC);
    }

    private String scheduledFor(TestDevice device) {
        return api.get(ApiPaths.check(device.uuid()), device.token()).json().get("scheduled_for").asText();
    }

    private String checkedVersion(TestDevice device) {
        return api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update").get("version").asText();
    }

    private String statusOf(TestDevice device, String version) {
        return jdbc.queryForObject("""
                select du.status from device_updates du
                join devices d on d.id = du.device_id join updates u on u.id = du.update_id
                where d.device_uuid = ? and u.version = ?
                """, String.class, device.uuid(), version);
    }
}
