package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.device.OfflineSweep;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DeviceTests extends ApiTestSupport {

    @Autowired
    OfflineSweep offlineSweep;

    @Test
    void aHeartbeatRecordsLastSeenVersionAndMetadata() {
        TestDevice device = register("UTC", "v1.0.0");
        clock.advance(Duration.ofMinutes(5));

        HttpApi.Response response = api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("current_version", "v1.0.1", "metadata", Map.of("uptime_seconds", 300)));

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.json().get("last_seen").asText()).isEqualTo("2026-06-15T12:05:00Z");
        assertThat(response.json().get("heartbeat_interval_seconds").asInt()).isEqualTo(300);
        var view = api.get(ApiPaths.device(device.uuid()), ADMIN).json();
        assertThat(view.get("last_seen").asText()).isEqualTo("2026-06-15T12:05:00Z");
        assertThat(view.get("current_version").asText()).isEqualTo("v1.0.1");
        assertThat(view.get("metadata").get("uptime_seconds").asInt()).isEqualTo(300);
        assertThat(view.get("status").asText()).isEqualTo("online");
    }

    @Test
    void anEmptyHeartbeatIsEnough() {
        TestDevice device = register("UTC");
        assertThat(api.raw("POST", ApiPaths.heartbeat(device.uuid()), device.token(), "application/json", "")
                .status()).isEqualTo(200);
        assertThat(api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of()).status()).isEqualTo(200);
    }

    @Test
    void unknownAndMalformedDevicesAreClearErrors() {
        String unknown = newDeviceUuid();
        assertProblem(api.get(ApiPaths.device(unknown), ADMIN), 404, "no device " + unknown + " is registered");
        assertProblem(api.get(ApiPaths.device("12345"), ADMIN), 400, "must be a UUID");
        assertProblem(api.post(ApiPaths.heartbeat(unknown), ADMIN, Map.of()), 404, "is registered");
        TestDevice device = register("UTC");
        assertProblem(api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("status", "sleeping")), 400,
                "status must be one of online | offline | updating");
    }

    @Test
    void thePatchChangesStatusAndVersion() {
        TestDevice device = register("UTC");
        HttpApi.Response response = api.patch(ApiPaths.deviceStatus(device.uuid()), device.token(),
                Map.of("status", "updating", "current_version", "v1.0.5"));

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.json().get("status").asText()).isEqualTo("updating");
        assertThat(response.json().get("current_version").asText()).isEqualTo("v1.0.5");
        assertProblem(api.patch(ApiPaths.deviceStatus(device.uuid()), device.token(), Map.of()), 400,
                "status is required");
        assertProblem(api.patch(ApiPaths.deviceStatus(device.uuid()), device.token(), Map.of("status", "asleep")),
                400, "online | offline | updating");
    }

    @Test
    void theListIsPagedAndFiltersByStatusAndVersion() {
        for (int i = 0; i < 5; i++) {
            register("UTC", i < 3 ? "v1.0.0" : "v2.0.0");
        }
        TestDevice updating = register("UTC", "v2.0.0");
        api.patch(ApiPaths.deviceStatus(updating.uuid()), updating.token(), Map.of("status", "updating"));

        var all = api.get(ApiPaths.DEVICES, ADMIN).json();
        assertThat(all.get("total_elements").asInt()).isEqualTo(6);
        var page = api.get(ApiPaths.DEVICES + "?size=4&page=1", ADMIN).json();
        assertThat(page.get("devices").size()).isEqualTo(2);
        assertThat(page.get("total_pages").asInt()).isEqualTo(2);
        assertThat(api.get(ApiPaths.DEVICES + "?version=v1.0.0", ADMIN).json().get("total_elements").asInt())
                .isEqualTo(3);
        var busy = api.get(ApiPaths.DEVICES + "?status=updating", ADMIN).json();
        assertThat(busy.get("total_elements").asInt()).isEqualTo(1);
        assertThat(busy.get("devices").get(0).get("device_uuid").asText()).isEqualTo(updating.uuid());
        assertThat(api.get("/api/v1/devices?status=online", ADMIN).json().get("total_elements").asInt()).isEqualTo(5);
        assertProblem(api.get(ApiPaths.DEVICES + "?status=lost", ADMIN), 400, "online | offline | updating");
        assertProblem(api.get(ApiPaths.DEVICES + "?size=100000", ADMIN), 400, "size between 1 and 500");
        assertProblem(api.get(ApiPaths.DEVICES + "?page=x", ADMIN), 400, "'page' must be a whole number, not 'x'");
    }

    @Test
    void devicesSilentForThreeHeartbeatsAreMarkedOffline() {
        TestDevice silent = register("UTC");
        clock.advance(Duration.ofMinutes(10));
        TestDevice recent = register("UTC");
        clock.advance(Duration.ofMinutes(5).plusSeconds(1));

        assertThat(offlineSweep.tick()).isEqualTo(1);

        assertThat(api.get(ApiPaths.device(silent.uuid()), ADMIN).json().get("status").asText()).isEqualTo("offline");
        assertThat(api.get(ApiPaths.device(recent.uuid()), ADMIN).json().get("status").asText()).isEqualTo("online");
        assertThat(offlineSweep.tick()).isZero();

        api.post(ApiPaths.heartbeat(silent.uuid()), silent.token(), Map.of());
        assertThat(api.get(ApiPaths.device(silent.uuid()), ADMIN).json().get("status").asText()).isEqualTo("online");
    }

    @Test
    void onlyOneServerSweepsAtATime() throws Exception {
        register("UTC");
        clock.advance(Duration.ofHours(1));
        try (var connection = jdbc.getDataSource().getConnection()) {
            connection.setAutoCommit(false);
            try (var statement = connection.createStatement()) {
                statement.execute("select pg_advisory_xact_lock(" + OfflineSweep.LOCK_KEY + ")");
                assertThat(offlineSweep.tick()).isEqualTo(-1);
            }
            connection.rollback();
        }
        assertThat(offlineSweep.tick()).isEqualTo(1);
    }
}
