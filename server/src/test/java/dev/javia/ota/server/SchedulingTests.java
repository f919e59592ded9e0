package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

        assertWindow(la, "2026-06-16T09:00:00Z");
        assertWindow(berlin, "2026-06-16T00:00:00Z");
        assertWindow(kolkata, "2026-06-15T20:30:00Z");
        assertWindow(utc, "2026-06-16T02:00:00Z");
        assertWindow(lordHowe, "2026-06-15T15:30:00Z");
    }

    @Test
    void onTheNightsOfADstChangeTheWindowFollowsJavaTime() {
        clock.set(Instant.parse("2026-03-07T20:00:00Z"));
        TestDevice la = register("America/Los_Angeles");
        published("v1.1.0", "scheduled");
        assertWindow(la, "2026-03-08T10:00:00Z");

        clock.set(Instant.parse("2026-10-24T12:00:00Z"));
        TestDevice berlin = register("Europe/Berlin", "v1.1.0");
        published("v1.2.0", "scheduled");
        assertWindow(berlin, "2026-10-25T00:00:00Z");

        clock.set(Instant.parse("2026-10-03T06:00:00Z"));
        TestDevice lordHowe = register("Australia/Lord_Howe", "v1.2.0");
        published("v1.3.0", "scheduled");
        assertWindow(lordHowe, "2026-10-03T15:30:00Z");
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
        assertWindow(device, "2026-06-16T00:00:00Z");
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
        var counts = api.get(ApiPaths.UPDATES, ADMIN).json().get("updates").get(1).get("status_counts");
        assertThat(counts.get("superseded").asInt()).isEqualTo(1);
    }

    @Test
    void aDeviceThatRegistersLaterGetsTheNewestUpdate() {
        published("v1.1.0", "scheduled");
        published("v1.2.0", "scheduled");
        TestDevice latecomer = register("Europe/Berlin", "v1.0.0");

        assertThat(checkedVersion(latecomer)).isEqualTo("v1.2.0");
        assertWindow(latecomer, "2026-06-16T00:00:00Z");
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
    void aScheduleSetToAMomentAgoMeansInstallNow() {
        TestDevice device = register("UTC");
        published("v1.1.0", "scheduled");
        jdbc.update("update device_updates set scheduled_for = ?", Timestamp.from(NOON_UTC.minusSeconds(60)));

        var body = api.get(ApiPaths.check(device.uuid()), device.token()).json();
        assertThat(body.get("update_available").asBoolean()).isTrue();
        assertThat(Instant.parse(body.get("scheduled_for").asText())).isEqualTo(NOON_UTC.minusSeconds(60));
    }

    /** Issue 12: a device offline for a month was offered its update with the month-old time, at any hour. */
    @Test
    void aDeviceBackAfterAMonthWaitsForItsNextNight() {
        TestDevice device = register("Europe/Berlin");
        published("v1.1.0", "scheduled");
        Duration offset = Duration.between(Instant.parse("2026-06-16T00:00:00Z"), Instant.parse(scheduledFor(device)));

        clock.set(Instant.parse("2026-07-16T11:00:00Z"));
        assertThat(scheduledFor(device)).isEqualTo(Instant.parse("2026-07-17T00:00:00Z").plus(offset).toString());

        // back during that night's window, after its turn: at once; once the window has closed: the night after
        clock.set(Instant.parse("2026-07-17T02:59:00Z"));
        assertThat(Instant.parse(scheduledFor(device))).isEqualTo(Instant.parse("2026-07-17T00:00:00Z").plus(offset))
                .isBefore(clock.instant());
        clock.set(Instant.parse("2026-07-17T03:00:00Z"));
        assertThat(scheduledFor(device)).isEqualTo(Instant.parse("2026-07-18T00:00:00Z").plus(offset).toString());
        // what the server recorded stays the published window
        assertThat(jdbc.queryForObject("select scheduled_for from device_updates", Timestamp.class).toInstant())
                .isEqualTo("2026-06-16T00:00:00Z");
    }

    @Test
    void turnsAreSpreadOverTheFirstTwoHoursOfTheWindow() {
        List<TestDevice> fleet = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            fleet.add(register("UTC"));
        }
        published("v1.1.0", "scheduled");

        Set<String> turns = new HashSet<>();
        for (TestDevice device : fleet) {
            Instant turn = Instant.parse(scheduledFor(device));
            assertThat(turn).isBetween(Instant.parse("2026-06-16T02:00:00Z"), Instant.parse("2026-06-16T04:00:00Z"));
            assertThat(scheduledFor(device)).isEqualTo(turn.toString());
            turns.add(turn.toString());
        }
        assertThat(turns).hasSizeGreaterThan(35);
    }

    /** The device's turn: what its check answers; inside the first two hours of the window that opens at start. */
    private void assertWindow(TestDevice device, String start) {
        Instant opens = Instant.parse(start);
        assertThat(Instant.parse(recordedFor(device))).isEqualTo(opens);
        assertThat(Instant.parse(scheduledFor(device))).isBetween(opens, opens.plus(Duration.ofHours(2)));
    }

    private String recordedFor(TestDevice device) {
        return jdbc.queryForObject("""
                select du.scheduled_for from device_updates du join devices d on d.id = du.device_id
                where d.device_uuid = ? and du.status = 'pending'
                """, Timestamp.class, device.uuid()).toInstant().toString();
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
