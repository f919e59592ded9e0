package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.device.Heartbeats;
import dev.javia.ota.server.device.OfflineSweep;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With batching on (as in production), heartbeats that repeat what the device record holds are answered at once and
 * written together at the flush; one that changes the record (a new version, "updating") is written before it is
 * answered.
 */
@TestPropertySource(properties = "ota.heartbeat-batching=true")
class HeartbeatBatchingTests extends ApiTestSupport {

    @Autowired
    Heartbeats heartbeats;

    @Autowired
    OfflineSweep offlineSweep;

    /**
     * The agent heartbeats through every install step (issue 12, defect 4): twenty minutes of apt-get, a heartbeat
     * at each interval, never swept offline. The sweep still takes an updating device that falls silent (the power
     * went during the install) for offline, as any other: silence is what offline means.
     */
    @Test
    void anUpdatingDeviceThatHeartbeatsEveryIntervalIsNeverSweptOffline() {
        TestDevice device = register("UTC", "v1.0.0");
        api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("status", "updating", "current_version", "v1.0.0"));
        for (int interval = 1; interval <= 4; interval++) {
            clock.advance(Duration.ofMinutes(5));
            assertThat(api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                    Map.of("status", "updating", "current_version", "v1.0.0")).status()).isEqualTo(200);
            heartbeats.flush();
            offlineSweep.tick();
            assertThat(stored(device, "status")).as("after %d min of installing", interval * 5)
                    .isEqualTo("updating");
        }

        clock.advance(Duration.ofMinutes(15).plusSeconds(1));
        offlineSweep.tick();
        assertThat(stored(device, "status")).as("silent for three intervals").isEqualTo("offline");
    }

    @Test
    void heartbeatsAreWrittenTogetherAtTheFlush() {
        TestDevice a = register("UTC", "v1.0.0");
        TestDevice b = register("UTC", "v1.0.0");
        clock.advance(Duration.ofMinutes(5));

        assertThat(api.post(ApiPaths.heartbeat(a.uuid()), a.token(), Map.of("metadata", Map.of("uptime", 1)))
                .json().get("last_seen").asText()).isEqualTo("2026-06-15T12:05:00Z");
        clock.advance(Duration.ofSeconds(1));
        api.post(ApiPaths.heartbeat(a.uuid()), a.token(), Map.of());
        api.post(ApiPaths.heartbeat(b.uuid()), b.token(), Map.of("current_version", "v1.0.0"));
        assertThat(lastSeen(a)).isEqualTo("2026-06-15T12:00:00Z");
        assertThat(lastSeen(b)).isEqualTo("2026-06-15T12:00:00Z");

        assertThat(heartbeats.flush()).isEqualTo(2);

        assertThat(lastSeen(a)).isEqualTo("2026-06-15T12:05:01Z");
        assertThat(lastSeen(b)).isEqualTo("2026-06-15T12:05:01Z");
        assertThat(api.get(ApiPaths.device(a.uuid()), ADMIN).json().get("metadata").get("uptime").asInt()).isEqualTo(1);
        assertThat(heartbeats.flush()).isZero();
    }

    @Test
    void aNewVersionIsWrittenBeforeTheHeartbeatIsAnswered() {
        TestDevice device = register("UTC", "v1.0.0");
        clock.advance(Duration.ofMinutes(5));

        assertThat(api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.0.1"))
                .status()).isEqualTo(200);

        assertThat(stored(device, "current_version")).isEqualTo("v1.0.1");
        assertThat(lastSeen(device)).isEqualTo("2026-06-15T12:05:00Z");
        assertThat(heartbeats.flush()).isZero();
    }

    @Test
    void updatingIsWrittenBeforeTheHeartbeatIsAnswered() {
        TestDevice device = register("UTC", "v1.0.0");

        assertThat(api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("current_version", "v1.0.0", "status", "updating")).status()).isEqualTo(200);

        assertThat(stored(device, "status")).isEqualTo("updating");
        assertThat(heartbeats.flush()).isZero();
    }

    @Test
    void aGatheredHeartbeatOlderThanTheRecordChangesNothing() {
        TestDevice device = register("UTC", "v1.0.0");
        clock.advance(Duration.ofMinutes(1));
        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.0.0",
                "metadata", Map.of("uptime", 60)));
        clock.advance(Duration.ofMinutes(1));
        // the device registers again (its token was lost) on a newer version while its heartbeat still waits
        api.register(ENROLLMENT, device.uuid(), "UTC", "v1.1.0");

        heartbeats.flush();

        assertThat(stored(device, "current_version")).isEqualTo("v1.1.0");
        assertThat(lastSeen(device)).isEqualTo("2026-06-15T12:02:00Z");
        assertThat(jdbc.queryForObject("select metadata from devices where device_uuid = ?", String.class,
                device.uuid())).isEqualTo("{}");
    }

    @Test
    void aVersionReportedInAHeartbeatStillReachesTheScheduler() {
        TestDevice device = register("UTC", "v1.0.0");
        String id = published("v1.1.0", "urgent");
        for (String status : new String[] {"downloading", "installing", "completed"}) {
            api.post(ApiPaths.updateStatus(id), device.token(), Map.of("status", status));
        }

        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.0.0"));
        heartbeats.flush();

        assertThat(api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update").get("version").asText())
                .isEqualTo("v1.1.0");
    }

    @Test
    void anOfflineDeviceComesBackOnlineAtTheFlush() {
        TestDevice device = register("UTC");
        jdbc.update("update devices set status = 'offline'");
        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of());
        heartbeats.flush();
        assertThat(api.get(ApiPaths.device(device.uuid()), ADMIN).json().get("status").asText()).isEqualTo("online");
    }

    @Test
    void aHeartbeatGatheredBeforeAnUpdateReportDoesNotUndoIt() {
        TestDevice device = register("UTC", "v1.0.0");
        String id = published("v1.1.0", "urgent");
        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("status", "online"));
        api.post(ApiPaths.updateStatus(id), device.token(), Map.of("status", "downloading"));

        heartbeats.flush();

        assertThat(api.get(ApiPaths.device(device.uuid()), ADMIN).json().get("status").asText()).isEqualTo("updating");
        api.post(ApiPaths.updateStatus(id), device.token(), Map.of("status", "installing"));
        api.post(ApiPaths.updateStatus(id), device.token(), Map.of("status", "completed"));
        assertThat(api.get(ApiPaths.device(device.uuid()), ADMIN).json().get("status").asText()).isEqualTo("online");
    }

    private String stored(TestDevice device, String column) {
        return jdbc.queryForObject("select " + column + " from devices where device_uuid = ?", String.class,
                device.uuid());
    }

    private String lastSeen(TestDevice device) {
        return api.get(ApiPaths.device(device.uuid()), ADMIN).json().get("last_seen").asText();
    }
}
