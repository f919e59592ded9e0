package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.ApiTestSupport.TestDevice;
import dev.javia.ota.server.testing.HttpApi;
import tools.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rollout tests' simulated agents and operator, through one server's HTTP API: a device's check and the status
 * reports an agent sends, and the rollout's view as the operator reads it.
 *
 * @param api   the server's API (with several instances, the one these calls go to)
 * @param admin the admin key that reads views
 */
record RolloutAgents(HttpApi api, String admin) {

    static final String FAILURE = "health check failed: wake word engine";

    JsonNode view(String rolloutId) {
        HttpApi.Response answer = api.get(ApiPaths.rollout(rolloutId), admin);
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        return answer.json();
    }

    String state(String rolloutId) {
        return view(rolloutId).get("state").asText();
    }

    /** The version the device's check offers it, or null. */
    String offeredVersion(TestDevice device) {
        JsonNode check = api.get(ApiPaths.check(device.uuid()), device.token()).json();
        return check.get("update_available").asBoolean() ? check.get("update").get("version").asText() : null;
    }

    List<TestDevice> offered(List<TestDevice> fleet) {
        return fleet.stream().filter(device -> offeredVersion(device) != null).toList();
    }

    void installAllOffered(List<TestDevice> fleet, String outcome) {
        for (TestDevice device : offered(fleet)) {
            install(device, outcome);
        }
    }

    /** What an agent does with its offer: downloading, installing, and the outcome. */
    void install(TestDevice device, String outcome) {
        JsonNode check = api.get(ApiPaths.check(device.uuid()), device.token()).json();
        assertThat(check.get("update_available").asBoolean()).as("an offer for " + device.uuid()).isTrue();
        String updateId = check.get("update").get("id").asText();
        String status = check.get("status").asText();
        if (status.equals("pending")) {
            post(updateId, device, "downloading", null);
        }
        if (!status.equals("installing")) {
            post(updateId, device, "installing", null);
        }
        post(updateId, device, outcome, outcome.equals("failed") ? FAILURE : null);
    }

    /** One status report on the device's offer. */
    void report(TestDevice device, String status, String error) {
        JsonNode check = api.get(ApiPaths.check(device.uuid()), device.token()).json();
        assertThat(check.get("update_available").asBoolean()).as("an offer for " + device.uuid()).isTrue();
        post(check.get("update").get("id").asText(), device, status, error);
    }

    void post(String updateId, TestDevice device, String status, String error) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        if (error != null) {
            body.put("error_message", error);
        }
        HttpApi.Response answer = api.post(ApiPaths.updateStatus(updateId), device.token(), body);
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    }

    void heartbeat(TestDevice device) {
        HttpApi.Response answer = api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("status", "online", "current_version", versionOf(device)));
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    }

    String versionOf(TestDevice device) {
        return api.get(ApiPaths.device(device.uuid()), admin).json().get("current_version").asText();
    }
}
