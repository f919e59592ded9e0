package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RegistrationTests extends ApiTestSupport {

    @Test
    void registersADeviceAndHandsOutAToken() {
        String uuid = newDeviceUuid();
        HttpApi.Response response = api.post(ApiPaths.REGISTER, ENROLLMENT, Map.of("device_uuid", uuid,
                "device_name", "kitchen", "timezone", "Europe/Berlin", "current_version", "v1.0.0",
                "metadata", Map.of("model", "Raspberry Pi 4 Model B", "os", "Debian 12")));

        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        var body = response.json();
        assertThat(body.get("device_token").asText()).startsWith("dvt_").hasSizeGreaterThan(40);
        var device = body.get("device");
        assertThat(device.get("device_uuid").asText()).isEqualTo(uuid);
        assertThat(device.get("device_name").asText()).isEqualTo("kitchen");
        assertThat(device.get("timezone").asText()).isEqualTo("Europe/Berlin");
        assertThat(device.get("status").asText()).isEqualTo("online");
        assertThat(device.get("metadata").get("model").asText()).isEqualTo("Raspberry Pi 4 Model B");
        assertThat(device.get("registered_at").asText()).isEqualTo("2026-06-15T12:00:00Z");
        String storedHash = jdbc.queryForObject("select token_hash from devices where device_uuid = ?", String.class,
                uuid);
        assertThat(storedHash).hasSize(64).isNotEqualTo(body.get("device_token").asText());
    }

    @Test
    void theSameUuidAgainIsTheSameDeviceWithAFreshToken() {
        String uuid = newDeviceUuid();
        String first = api.register(ENROLLMENT, uuid, "UTC", "v1.0.0");
        String second = api.register(ENROLLMENT, uuid, "UTC", "v1.0.1");

        assertThat(second).isNotEqualTo(first);
        assertThat(jdbc.queryForObject("select count(*) from devices", Integer.class)).isEqualTo(1);
        assertThat(jdbc.queryForObject("select current_version from devices", String.class)).isEqualTo("v1.0.1");
        assertThat(api.get(ApiPaths.device(uuid), first).status()).isEqualTo(401);
        assertThat(api.get(ApiPaths.device(uuid), second).status()).isEqualTo(200);
    }

    @Test
    void aReRegistrationRevokesEveryEarlierTokenAtOnce() {
        String uuid = newDeviceUuid();
        String first = api.register(ENROLLMENT, uuid, "UTC", null);
        assertThat(api.get(ApiPaths.device(uuid), first).status()).isEqualTo(200);
        jdbc.update("update devices set token_hash = null where device_uuid = ?", uuid);

        String second = api.register(ENROLLMENT, uuid, "UTC", null);

        assertThat(api.get(ApiPaths.device(uuid), first).status()).isEqualTo(401);
        assertThat(api.get(ApiPaths.device(uuid), second).status()).isEqualTo(200);
    }

    @Test
    void anUppercaseUuidIsTheSameDevice() {
        String uuid = newDeviceUuid();
        api.register(ENROLLMENT, uuid, "UTC", null);
        String token = api.register(ENROLLMENT, uuid.toUpperCase(), "UTC", null);

        assertThat(jdbc.queryForObject("select count(*) from devices", Integer.class)).isEqualTo(1);
        assertThat(api.get(ApiPaths.device(uuid.toUpperCase()), token).status()).isEqualTo(200);
    }

    @Test
    void refusesBadRegistrationsWithAMessageAndStoresNothing() {
        assertProblem(api.post(ApiPaths.REGISTER, ENROLLMENT, Map.of("device_uuid", "not-a-uuid", "timezone", "UTC")),
                400, "device_uuid must be a UUID");
        assertProblem(api.post(ApiPaths.REGISTER, ENROLLMENT, Map.of("device_uuid", newDeviceUuid(),
                "timezone", "Mars/Olympus_Mons")), 400, "not a known IANA zone");
        assertProblem(api.post(ApiPaths.REGISTER, ENROLLMENT, Map.of("device_uuid", newDeviceUuid())), 400,
                "timezone is required");
        assertProblem(api.post(ApiPaths.REGISTER, ENROLLMENT, Map.of("device_uuid", newDeviceUuid(), "timezone", "UTC",
                "current_version", "v1 .0; drop table")), 400, "not a version string");
        assertProblem(api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "application/json", "{\"device_uuid\": "), 400,
                "not valid JSON");
        assertProblem(api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "application/json", "[1,2]"), 400,
                "the body must be a JSON object");
        assertProblem(api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "application/json", ""), 400, "JSON body");
        assertProblem(api.post(ApiPaths.REGISTER, ENROLLMENT, Map.of("device_uuid", newDeviceUuid(), "timezone", "UTC",
                "metadata", "not an object")), 400, "'metadata' must be a JSON object");

        assertThat(jdbc.queryForObject("select count(*) from devices", Integer.class)).isZero();
    }
}
