package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /api/v1/rollouts}: a new rollout of a version already published, with the publish form's rollout
 * fields, audited as rollout.created; refused for a version not published, while the version has a rollout that has
 * not ended, for bad fields and for devices that are not registered.
 */
class RolloutCreateTests extends ApiTestSupport {

    @Test
    void aCancelledReleaseIsRolledOutAgainInPhasesAndAudited() {
        List<TestDevice> fleet = List.of(register("Europe/Berlin"), register("Europe/Berlin"),
                register("America/New_York"), register("Asia/Tokyo"));
        RolloutAgents agents = new RolloutAgents(api, ADMIN);
        String first = published("v1.1.0", "urgent");
        String firstRollout = api.get(ApiPaths.update(first), ADMIN).json().get("rollout").get("id").asText();
        assertThat(api.post(ApiPaths.rolloutAction(firstRollout, "cancel"), ADMIN, Map.of("reason", "wrong night"))
                .status()).isEqualTo(200);
        assertThat(agents.offered(fleet)).as("withdrawn by the cancel").isEmpty();

        HttpApi.Response created = api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "v1.1.0",
                "phases", "1,100%", "soak", "1h", "success_threshold", "90%", "max_concurrent", 10));

        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        JsonNode rollout = created.json();
        String id = rollout.get("id").asText();
        assertThat(id).isNotEqualTo(firstRollout);
        assertThat(rollout.get("version").asText()).isEqualTo("v1.1.0");
        assertThat(rollout.get("update_id").asText()).isEqualTo(first);
        assertThat(rollout.get("kind").asText()).isEqualTo("release");
        assertThat(rollout.get("state").asText()).isEqualTo("running");
        assertThat(rollout.get("phases")).hasSize(2);
        assertThat(rollout.get("rules").get("soak_seconds").asLong()).isEqualTo(3600);
        assertThat(rollout.get("rules").get("success_threshold").asDouble()).isEqualTo(0.9);
        assertThat(rollout.get("rules").get("max_concurrent").asInt()).isEqualTo(10);
        assertThat(agents.view(id).get("id").asText()).isEqualTo(id);
        assertThat(agents.offered(fleet)).as("the canary of the new rollout").hasSize(1);

        JsonNode audit = api.get(ApiPaths.AUDIT + "?action=rollout.created&target_id=" + id, ADMIN).json()
                .get("entries");
        assertThat(audit).hasSize(1);
        assertThat(audit.get(0).get("actor").asText()).isNotBlank().isNotEqualTo("system");
        assertThat(audit.get(0).get("details").get("version").asText()).isEqualTo("v1.1.0");
        assertThat(audit.get(0).get("details").get("phases").toString()).contains("1").contains("100%");
    }

    @Test
    void aVersionWithARolloutThatHasNotEndedIsRefused() {
        register("Europe/Berlin");
        String updateId = published("v1.1.0", "scheduled");
        String running = api.get(ApiPaths.update(updateId), ADMIN).json().get("rollout").get("id").asText();

        assertProblem(api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "v1.1.0")), 409,
                "already has a rollout that is running (" + running + ")");
        api.post(ApiPaths.rolloutAction(running, "pause"), ADMIN, Map.of());
        assertProblem(api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "v1.1.0")), 409, "that is paused");
        assertThat(api.get(ApiPaths.ROLLOUTS, ADMIN).json().get("rollouts")).hasSize(1);
    }

    @Test
    void badRequestsAreRefusedWithWhatToFix() {
        TestDevice device = register("Europe/Berlin");
        String updateId = published("v1.1.0", "scheduled");
        String rollout = api.get(ApiPaths.update(updateId), ADMIN).json().get("rollout").get("id").asText();
        api.post(ApiPaths.rolloutAction(rollout, "cancel"), ADMIN, Map.of());

        assertProblem(api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "v9.9.9")), 404,
                "version v9.9.9 is not published");
        assertProblem(api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("phases", "100%")), 400, "version is required");
        assertProblem(api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "1.1")), 400, "version");
        assertProblem(api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "v1.1.0", "phases", "1,10%")), 400,
                "phases must end at 100%");
        assertProblem(api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "v1.1.0", "soak", "soon")), 400,
                "soak: 'soon' is not a duration");
        assertProblem(api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "v1.1.0", "min_finished", 0)), 400,
                "min_finished");
        Map<String, Object> strangers = new LinkedHashMap<>();
        strangers.put("version", "v1.1.0");
        strangers.put("target_devices", List.of(device.uuid(), newDeviceUuid()));
        assertProblem(api.post(ApiPaths.ROLLOUTS, ADMIN, strangers), 400, "not registered");
        assertProblem(api.raw("POST", ApiPaths.ROLLOUTS, ADMIN, "application/json", "null"), 400, "JSON body");
        assertProblem(api.raw("POST", ApiPaths.ROLLOUTS, ADMIN, "application/json", "{\"version\": 7"), 400, "");
        assertThat(api.post(ApiPaths.ROLLOUTS, device.token(), Map.of("version", "v1.1.0")).status())
                .as("a device's token").isIn(401, 403);
        assertThat(api.get(ApiPaths.ROLLOUTS, ADMIN).json().get("rollouts")).as("nothing was created").hasSize(1);
    }

    @Test
    void aTargetAndAStartTimeAreKept() {
        TestDevice berlin = register("Europe/Berlin");
        register("Asia/Tokyo");
        String updateId = published("v1.1.0", "urgent");
        String rollout = api.get(ApiPaths.update(updateId), ADMIN).json().get("rollout").get("id").asText();
        api.post(ApiPaths.rolloutAction(rollout, "cancel"), ADMIN, Map.of());

        HttpApi.Response created = api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "v1.1.0",
                "target_timezone", "Europe/Berlin", "start_at", "2026-06-15T20:00:00Z"));

        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().get("state").asText()).isEqualTo("scheduled");
        assertThat(created.json().get("start_at").asText()).isEqualTo("2026-06-15T20:00:00Z");
        assertThat(created.json().get("target").get("timezone").asText()).isEqualTo("Europe/Berlin");
        assertThat(created.json().get("phases").get(0).get("planned_devices").asInt()).isEqualTo(1);
        assertThat(new RolloutAgents(api, ADMIN).offeredVersion(berlin)).as("not before its start").isNull();
    }
}
