package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiExamples;
import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.trust.DeviceProof;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.server.notify.Notifications;
import dev.javia.ota.server.notify.WebhookDelivery;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.WebhookReceiver;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.security.KeyPair;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sends the documented example requests (docs/api/examples) to the real server and checks that every answer has
 * exactly the documented shape: what the docs show is what an agent gets.
 */
class ApiExamplesTests extends ApiTestSupport {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Fields whose keys are data, not shape. */
    private static final Set<String> MAPS = Set.of("metadata", "status_counts", "details", "data");

    @Autowired
    Notifications notifications;
    @Autowired
    WebhookDelivery delivery;

    @Test
    void everyAnswerHasTheDocumentedShape() throws IOException {
        String uuid = newDeviceUuid();
        ObjectNode registration = (ObjectNode) example("register.request.json");
        registration.put("device_uuid", uuid);
        HttpApi.Response registered = api.post(ApiPaths.REGISTER, ENROLLMENT, registration);
        assertShape("register.response.json", registered);
        String token = registered.json().get("device_token").asText();

        assertShape("check-nothing-due.response.json", api.get(ApiPaths.check(uuid), token));
        assertShape("heartbeat.response.json", api.post(ApiPaths.heartbeat(uuid), token, example("heartbeat.request.json")));
        assertShape("heartbeat.response.json", api.post(ApiPaths.heartbeat(uuid), token,
                example("heartbeat-older-agent.request.json")));
        assertShape("heartbeat.response.json", api.post(ApiPaths.heartbeat(uuid), token,
                example("heartbeat-updating.request.json")));

        Map<String, Object> form = form("v1.2.3", "scheduled", "libopus0", null);
        form.put("package", samplePackage("v1.2.3", UpdateType.SCHEDULED, "libopus0"));
        HttpApi.Response created = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
        assertShape("create.response.json", created);
        String updateId = created.json().get("update").get("id").asText();

        assertShape("check.response.json", api.get(ApiPaths.check(uuid), token));
        assertShape("updates.response.json", api.get(ApiPaths.UPDATES, ADMIN));
        assertShape("devices.response.json", api.get(ApiPaths.DEVICES, ADMIN));
        assertShape("device.response.json", api.get(ApiPaths.device(uuid), ADMIN));
        assertShape("device.response.json", api.patch(ApiPaths.device(uuid), ADMIN, example("device-change.request.json")));
        assertShape("audit.response.json", api.get(ApiPaths.AUDIT + "?action=device.changed&target_id=" + uuid, ADMIN));
        HttpApi.Response patched = api.patch(ApiPaths.deviceStatus(uuid), token, example("device-status.request.json"));
        assertThat(fields(patched.json())).isEqualTo(fields(example("devices.response.json").get("devices").get(0)));

        ObjectNode downloading = (ObjectNode) example("status.request.json");
        downloading.put("device_uuid", uuid).put("status", "downloading").remove("error_message");
        api.post(ApiPaths.updateStatus(updateId), token, downloading);
        ObjectNode failed = (ObjectNode) example("status-older-agent.request.json");
        failed.put("device_uuid", uuid);
        assertShape("status.response.json", api.post(ApiPaths.updateStatus(updateId), token, failed));
        assertShape("update-devices.response.json",
                api.get(ApiPaths.updateDevices(updateId) + "?status=failed", ADMIN));

        ObjectNode refused = (ObjectNode) example("status.request.json");
        refused.put("device_uuid", uuid).put("status", "completed");
        assertShape("problem.response.json", api.post(ApiPaths.updateStatus(updateId), token, refused));

        // a device bound to a key (register.request.json binds the example's key; this device binds a key of its own,
        // so that it can sign): its challenge, its registration with a proof, the operator's reset of its key
        KeyPair key = Ed25519Keys.generate();
        String bound = newDeviceUuid();
        ObjectNode binding = (ObjectNode) example("register.request.json");
        binding.put("device_uuid", bound).put("public_key", Ed25519Keys.text(key.getPublic()));
        assertShape("register.response.json", api.post(ApiPaths.REGISTER, ENROLLMENT, binding));
        ObjectNode asking = (ObjectNode) example("challenge.request.json");
        asking.put("device_uuid", bound);
        HttpApi.Response challenge = api.post(ApiPaths.CHALLENGE, null, asking);
        assertShape("challenge.response.json", challenge);
        ObjectNode proving = (ObjectNode) example("register-proved.request.json");
        String issued = challenge.json().get("challenge").asText();
        proving.put("device_uuid", bound).put("public_key", Ed25519Keys.text(key.getPublic()))
                .put("challenge", issued).put("signature", DeviceProof.sign(key.getPrivate(), bound, issued));
        HttpApi.Response proved = api.post(ApiPaths.REGISTER, null, proving);
        assertThat(proved.status()).as(proved.toString()).isEqualTo(201);
        assertShape("register.response.json", proved);
        assertShape("device.response.json", api.post(ApiPaths.resetDeviceKey(bound), ADMIN,
                example("device-reset-key.request.json")));

        String rolloutId = created.json().get("rollout").get("id").asText();
        assertShape("rollout.response.json", api.get(ApiPaths.rollout(rolloutId), ADMIN));
        assertShape("rollouts.response.json", api.get(ApiPaths.ROLLOUTS, ADMIN));
        assertShape("rollout.response.json", api.post(ApiPaths.rolloutAction(rolloutId, "pause"), ADMIN,
                example("rollout-action.request.json")));
        api.post(ApiPaths.rolloutAction(rolloutId, "cancel"), ADMIN, Map.of());
        HttpApi.Response again = api.post(ApiPaths.ROLLOUTS, ADMIN, example("rollout-create.request.json"));
        assertThat(again.status()).as(again.toString()).isEqualTo(201);
        assertShape("rollout.response.json", again);
    }

    @Test
    void everyWebhookAnswerAndTheDeliveredBodyHaveTheDocumentedShape() throws IOException {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            ObjectNode subscription = (ObjectNode) example("webhook-create.request.json");
            subscription.put("url", receiver.url());
            HttpApi.Response created = api.post(ApiPaths.WEBHOOKS, ADMIN, subscription);
            assertShape("webhook-created.response.json", created);
            String id = created.json().get("webhook").get("id").asString();

            assertShape("webhooks.response.json", api.get(ApiPaths.WEBHOOKS, ADMIN));
            assertShape("webhook.response.json", api.get(ApiPaths.webhook(id), ADMIN));

            String uuid = newDeviceUuid();
            String token = api.register(ENROLLMENT, uuid, "UTC", "v1.0.0");
            String updateId = published("v1.2.3", "urgent");
            api.post(ApiPaths.updateStatus(updateId), token, Map.of("status", "downloading"));
            ObjectNode failed = (ObjectNode) example("status.request.json");
            failed.put("device_uuid", uuid);
            api.post(ApiPaths.updateStatus(updateId), token, failed);
            notifications.publish(Notifications.Events.ROLLOUT_PAUSED, "paused", Map.of());
            delivery.tick();

            assertShape("webhook-deliveries.response.json", api.get(ApiPaths.webhookDeliveries(id), ADMIN));
            JsonNode sent = receiver.received().stream().map(request -> JSON.readTree(request.body()))
                    .filter(body -> body.get("event").asString().equals("device.update_failed")).findFirst()
                    .orElseThrow();
            assertSameShape(example("webhook-event.json"), sent, "webhook-event.json");
            assertThat(fields(sent.get("data"))).isEqualTo(fields(example("webhook-event.json").get("data")));

            assertShape("webhook.response.json", api.patch(ApiPaths.webhook(id), ADMIN,
                    example("webhook-change.request.json")));
        }
    }

    private static JsonNode example(String file) throws IOException {
        return JSON.readTree(Files.readString(ApiExamples.file(file)));
    }

    private static void assertShape(String exampleFile, HttpApi.Response response) throws IOException {
        assertThat(response.status()).as(response.toString()).isLessThan(500);
        assertSameShape(example(exampleFile), response.json(), exampleFile);
    }

    private static void assertSameShape(JsonNode expected, JsonNode actual, String path) {
        if (!expected.isNull() && !actual.isNull()) {
            assertThat(actual.getNodeType()).as("the kind of JSON value at " + path).isEqualTo(expected.getNodeType());
        }
        if (expected.isArray() && actual.isArray() && !expected.isEmpty() && !actual.isEmpty()) {
            assertSameShape(expected.get(0), actual.get(0), path + "[0]");
        }
        if (!expected.isObject() || !actual.isObject()) {
            return;
        }
        assertThat(fields(actual)).as("fields of " + path).isEqualTo(fields(expected));
        for (String field : fields(expected)) {
            if (!MAPS.contains(field)) {
                assertSameShape(expected.get(field), actual.get(field), path + "." + field);
            }
        }
    }

    private static Set<String> fields(JsonNode node) {
        return new TreeSet<>(node.propertyNames());
    }
}
