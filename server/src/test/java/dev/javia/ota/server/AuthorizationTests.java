package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.RawHttp;
import dev.javia.ota.server.testing.TestDatabaseInitializer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Who may call what: no key, the enrollment key, one device's token on another's endpoints, admin keys. */
class AuthorizationTests extends ApiTestSupport {

    @Test
    void everyApiCallNeedsAKey() {
        TestDevice device = register("UTC");
        for (HttpApi.Response response : new HttpApi.Response[] {
                api.get(ApiPaths.DEVICES, null),
                api.get(ApiPaths.UPDATES, null),
                api.get(ApiPaths.device(device.uuid()), null),
                api.get(ApiPaths.check(device.uuid()), null),
                api.post(ApiPaths.heartbeat(device.uuid()), null, Map.of()),
                api.post(ApiPaths.REGISTER, null, Map.of("device_uuid", newDeviceUuid(), "timezone", "UTC"))}) {
            assertProblem(response, 401, "X-API-Key");
        }
        assertProblem(api.get(ApiPaths.DEVICES, "wrong-key-wrong-key-wrong-key"), 401, "not a key this server knows");
    }

    /** The two requests of issue 11 that listed the fleet and published an update without any key. */
    @Test
    void theSpellingsThatBypassedTheKeyCheckAreRefused() {
        RawHttp raw = new RawHttp("127.0.0.1", port);
        assertProblem(raw.send("GET", "/api;x=1/v1/devices/", null), 400, "not in canonical form");
        Path zip = samplePackage("v6.6.6", UpdateType.URGENT, null);
        Map<String, Object> form = form("v6.6.6", "urgent", null, null);
        form.put("package", zip);
        assertProblem(api.multipart("/%61pi/v1/updates/create", null, form), 400, "not in canonical form");
        assertThat(jdbc.queryForObject("select count(*) from updates", Integer.class)).isZero();
    }

    @Test
    void aDeviceCannotBeReRegisteredWithoutTheEnrollmentKey() {
        TestDevice device = register("UTC");
        Map<String, String> body = Map.of("device_uuid", device.uuid(), "timezone", "UTC");
        assertProblem(api.post(ApiPaths.REGISTER, null, body), 401, "X-API-Key");
        assertProblem(api.post(ApiPaths.REGISTER, device.token(), body), 403, "only its own device");
        assertThat(api.get(ApiPaths.device(device.uuid()), device.token()).status()).isEqualTo(200);
    }

    @Test
    void theEnrollmentKeyOnlyRegisters() {
        TestDevice device = register("UTC");
        assertProblem(api.get(ApiPaths.DEVICES, ENROLLMENT), 403, "may only register");
        assertProblem(api.get(ApiPaths.UPDATES, ENROLLMENT), 403, "may only register");
        assertProblem(api.get(ApiPaths.check(device.uuid()), ENROLLMENT), 403, "may only register");
        assertProblem(api.post(ApiPaths.heartbeat(device.uuid()), ENROLLMENT, Map.of()), 403, "may only register");
        assertProblem(api.multipart(ApiPaths.CREATE_UPDATE, ENROLLMENT, form("v1.1.0", "urgent", null, null)), 403,
                "may only register");
    }

    @Test
    void aDeviceTokenOpensOnlyItsOwnDevice() {
        TestDevice a = register("UTC");
        TestDevice b = register("UTC");
        String updateId = published("v1.1.0", "urgent");

        assertThat(api.get(ApiPaths.device(a.uuid()), a.token()).status()).isEqualTo(200);
        assertThat(api.post(ApiPaths.heartbeat(a.uuid()), a.token(), Map.of()).status()).isEqualTo(200);
        assertThat(api.get(ApiPaths.check(a.uuid()), a.token()).status()).isEqualTo(200);
        assertThat(api.get(ApiPaths.download(updateId), a.token()).status()).isEqualTo(200);

        assertProblem(api.get(ApiPaths.device(b.uuid()), a.token()), 403, "belongs to device " + a.uuid());
        assertProblem(api.post(ApiPaths.heartbeat(b.uuid()), a.token(), Map.of()), 403, "belongs to device");
        assertProblem(api.get(ApiPaths.check(b.uuid()), a.token()), 403, "belongs to device");
        assertProblem(api.patch(ApiPaths.deviceStatus(b.uuid()), a.token(), Map.of("status", "offline")), 403,
                "belongs to device");
        assertProblem(api.post(ApiPaths.updateStatus(updateId), a.token(),
                Map.of("device_uuid", b.uuid(), "status", "downloading")), 403, "belongs to device");
        assertThat(jdbc.queryForObject("select du.status from device_updates du join devices d on d.id = du.device_id"
                + " where d.device_uuid = ?", String.class, b.uuid())).isEqualTo("pending");
    }

    @Test
    void aDeviceTokenCannotDownloadAnUpdateNotScheduledForIt() {
        TestDevice a = register("UTC");
        TestDevice b = register("UTC");
        String updateId = publish("v1.1.0", "urgent", null, b.uuid()).json().get("update").get("id").asText();

        assertProblem(api.get(ApiPaths.download(updateId), a.token()), 403, "not scheduled for device " + a.uuid());
        assertThat(api.get(ApiPaths.download(updateId), b.token()).status()).isEqualTo(200);
    }

    @Test
    void aDeviceTokenCannotReachOperatorEndpoints() {
        TestDevice device = register("UTC");
        assertProblem(api.get(ApiPaths.DEVICES, device.token()), 403, "only its own device");
        assertProblem(api.get(ApiPaths.UPDATES, device.token()), 403, "only its own device");
        assertProblem(api.multipart(ApiPaths.CREATE_UPDATE, device.token(), form("v1.1.0", "urgent", null, null)),
                403, "only its own device");
        assertThat(jdbc.queryForObject("select count(*) from updates", Integer.class)).isZero();
    }

    @Test
    void everyAdminKeyOpensEverything() {
        TestDevice device = register("UTC");
        for (String key : new String[] {ADMIN, TestDatabaseInitializer.SECOND_ADMIN_KEY}) {
            assertThat(api.get(ApiPaths.DEVICES, key).status()).isEqualTo(200);
            assertThat(api.get(ApiPaths.UPDATES, key).status()).isEqualTo(200);
            assertThat(api.get(ApiPaths.device(device.uuid()), key).status()).isEqualTo(200);
            assertThat(api.get(ApiPaths.check(device.uuid()), key).status()).isEqualTo(200);
        }
        assertThat(api.post(ApiPaths.REGISTER, ADMIN, Map.of("device_uuid", newDeviceUuid(), "timezone", "UTC"))
                .status()).isEqualTo(201);
    }

    @Test
    void healthAndApiDocsNeedNoKey() {
        assertThat(api.get("/actuator/health", null).status()).isEqualTo(200);
        assertThat(api.get("/actuator/health/readiness", null).body()).contains("UP");
        HttpApi.Response docs = api.get("/v3/api-docs", null);
        assertThat(docs.status()).isEqualTo(200);
        assertThat(docs.body()).contains("/api/v1/devices/register").contains("/api/v1/updates/{id}/download");
    }
}
