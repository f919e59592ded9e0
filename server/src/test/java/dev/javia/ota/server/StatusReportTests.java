package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A device's reports on an update: checked transitions, harmless repeats, and what the device row shows. */
class StatusReportTests extends ApiTestSupport {

    private TestDevice device;
    private String updateId;

    @BeforeEach
    void scheduleAnUpdate() {
        device = register("UTC", "v1.0.0");
        updateId = published("v1.1.0", "urgent");
    }

    @Test
    void theHappyPathEndsCompletedOnTheNewVersion() {
        assertThat(report("downloading", null).status()).isEqualTo(200);
        assertThat(deviceField("status")).isEqualTo("updating");
        clock.advance(Duration.ofMinutes(1));
        assertThat(report("installing", null).status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(1));
        HttpApi.Response done = report("completed", null);

        assertThat(done.status()).as(done.toString()).isEqualTo(200);
        var view = done.json();
        assertThat(view.get("status").asText()).isEqualTo("completed");
        assertThat(view.get("started_at").asText()).isEqualTo("2026-06-15T12:00:00Z");
        assertThat(view.get("completed_at").asText()).isEqualTo("2026-06-15T12:02:00Z");
        assertThat(view.get("version").asText()).isEqualTo("v1.1.0");
        assertThat(deviceField("current_version")).isEqualTo("v1.1.0");
        assertThat(deviceField("status")).isEqualTo("online");
        assertThat(api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update_available").asBoolean())
                .isFalse();
    }

    @Test
    void theSameReportTwiceIsHarmless() {
        report("downloading", null);
        clock.advance(Duration.ofMinutes(3));
        HttpApi.Response again = report("downloading", null);

        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("started_at").asText()).isEqualTo("2026-06-15T12:00:00Z");
        report("installing", null);
        report("completed", null);
        assertThat(report("completed", null).status()).isEqualTo(200);
    }

    @Test
    void aFailureKeepsItsMessageAndMayBeRetried() {
        report("downloading", null);
        HttpApi.Response failed = report("failed", "sha256 mismatch: expected ab12, got cd34");

        assertThat(failed.json().get("error_message").asText()).isEqualTo("sha256 mismatch: expected ab12, got cd34");
        assertThat(jdbc.queryForObject("select error_message from device_updates where status = 'failed'",
                String.class)).contains("sha256 mismatch");
        assertThat(deviceField("status")).isEqualTo("online");
        assertThat(deviceField("current_version")).isEqualTo("v1.0.0");

        HttpApi.Response retry = report("downloading", null);
        assertThat(retry.status()).isEqualTo(200);
        assertThat(retry.json().get("error_message").isNull()).isTrue();
    }

    @Test
    void impossibleMovesAre409AndChangeNothing() {
        assertProblem(report("installing", null), 409, "cannot go from pending to installing");
        assertProblem(report("completed", null), 409, "cannot go from pending to completed");
        assertProblem(report("pending", null), 409, "cannot report pending");
        report("downloading", null);
        report("installing", null);
        report("completed", null);
        assertProblem(report("downloading", null), 409, "already completed");
        assertProblem(report("failed", "late"), 409, "already completed");

        assertThat(jdbc.queryForObject("select status from device_updates", String.class)).isEqualTo("completed");
        assertThat(jdbc.queryForObject("select error_message from device_updates", String.class)).isNull();
    }

    @Test
    void badReportsAreClearErrors() {
        assertProblem(api.post(ApiPaths.updateStatus(updateId), device.token(), Map.of("status", "exploded")), 400,
                "status must be one of");
        assertProblem(api.post(ApiPaths.updateStatus(updateId), device.token(), Map.of()), 400, "needs status");
        assertProblem(api.post(ApiPaths.updateStatus(updateId), ADMIN, Map.of("status", "downloading")), 400,
                "device_uuid is required");
        assertProblem(api.post(ApiPaths.updateStatus("0190f7a4-5b6c-7d8e-9f00-112233445566"), device.token(),
                Map.of("status", "downloading")), 404, "no update");
        TestDevice latecomer = register("UTC", "v1.1.0");
        assertProblem(api.post(ApiPaths.updateStatus(updateId), latecomer.token(), Map.of("status", "downloading")),
                404, "is not scheduled for device");
    }

    @Test
    void aDeviceMayLeaveOutItsOwnUuid() {
        HttpApi.Response response = api.post(ApiPaths.updateStatus(updateId), device.token(),
                Map.of("status", "downloading"));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().get("device_uuid").asText()).isEqualTo(device.uuid());
    }

    private HttpApi.Response report(String status, String error) {
        return report(device, updateId, status, error);
    }

    private String deviceField(String field) {
        return api.get(ApiPaths.device(device.uuid()), ADMIN).json().get(field).asText();
    }
}
