package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.notify.Notifications;
import dev.javia.ota.server.notify.WebhookDelivery;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.WebhookReceiver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Webhooks end to end: the subscriptions through the admin API with every refusal, the outbox written in the
 * publisher's transaction, and the job's deliveries to a real receiver on 127.0.0.1: signed, retried with backoff,
 * given up after a day, never holding up a request. The job's timer is off; the tests call its tick.
 */
class WebhookTests extends ApiTestSupport {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SECRET = "a-receivers-secret-0123456789abcdef";

    @Autowired
    Notifications notifications;
    @Autowired
    WebhookDelivery delivery;
    @Autowired
    TransactionTemplate transactions;

    private WebhookReceiver receiver;
    private final ExecutorService background = Executors.newSingleThreadExecutor();

    @BeforeEach
    void startTheReceiver() {
        receiver = WebhookReceiver.start();
    }

    @AfterEach
    void stopTheReceiver() {
        receiver.close();
        background.shutdownNow();
    }

    @Test
    void aWebhookIsCreatedListedChangedAndDeletedAndItsSecretIsShownOnlyOnCreation() {
        HttpApi.Response created = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", receiver.url(),
                "events", List.of("device.update_failed", "rollout.paused"), "description", "ops channel"));

        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String secret = created.json().get("secret").asString();
        assertThat(secret).hasSize(64).matches("[0-9a-f]+");
        JsonNode webhook = created.json().get("webhook");
        String id = webhook.get("id").asString();
        assertThat(webhook.get("url").asString()).isEqualTo(receiver.url());
        assertThat(webhook.get("events").toString()).isEqualTo("[\"device.update_failed\",\"rollout.paused\"]");
        assertThat(webhook.get("enabled").asBoolean()).isTrue();
        assertThat(webhook.get("created_at").asString()).isEqualTo("2026-06-15T12:00:00Z");

        HttpApi.Response one = api.get(ApiPaths.webhook(id), ADMIN);
        HttpApi.Response list = api.get(ApiPaths.WEBHOOKS, ADMIN);
        assertThat(one.json()).isEqualTo(webhook);
        assertThat(list.json().get("webhooks")).containsExactly(webhook);
        assertThat(list.json().get("total_elements").asLong()).isEqualTo(1);
        assertThat(one.body() + list.body()).doesNotContain(secret).doesNotContain("secret");

        clock.advance(Duration.ofMinutes(5));
        HttpApi.Response changed = api.patch(ApiPaths.webhook(id), ADMIN, Map.of("events", List.of("*"),
                "enabled", false, "secret", "a-new-secret-for-the-receiver-42"));
        assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
        assertThat(changed.json().get("events").toString()).isEqualTo("[\"*\"]");
        assertThat(changed.json().get("enabled").asBoolean()).isFalse();
        assertThat(changed.json().get("description").asString()).as("left out, kept").isEqualTo("ops channel");
        assertThat(changed.json().get("updated_at").asString()).isEqualTo("2026-06-15T12:05:00Z");
        assertThat(changed.body()).doesNotContain("a-new-secret");
        assertThat(jdbc.queryForObject("select secret from webhooks", String.class))
                .isEqualTo("a-new-secret-for-the-receiver-42");

        assertThat(api.delete(ApiPaths.webhook(id), ADMIN).status()).isEqualTo(204);
        assertProblem(api.get(ApiPaths.webhook(id), ADMIN), 404, "no webhook " + id);
        assertThat(api.get(ApiPaths.WEBHOOKS, ADMIN).json().get("webhooks")).isEmpty();
    }

    @Test
    void omittedEventsSubscribeToAllAndAGivenSecretIsKept() {
        HttpApi.Response created = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", receiver.url(), "secret", SECRET));

        assertThat(created.json().get("webhook").get("events").toString()).isEqualTo("[\"*\"]");
        assertThat(created.json().get("secret").asString()).isEqualTo(SECRET);
        assertThat(created.json().get("webhook").get("description").isNull()).isTrue();
    }

    @Test
    void everyRefusalSaysWhatToSendAndChangesNothing() {
        String id = webhook(receiver.url(), List.of("device.update_failed"));
        TestDevice device = register("UTC");
        String unknown = UUID.randomUUID().toString();
        List<JsonNode> before = List.of(api.get(ApiPaths.WEBHOOKS, ADMIN).json());

        assertProblem(create(Map.of("url", "ftp://hooks.example.com/x")), 400, "must start with https://");
        assertProblem(create(Map.of("url", "https://user:pw@hooks.example.com/x")), 400, "user or password");
        assertProblem(create(Map.of("url", "https://hooks.example.com/" + "x".repeat(2000))), 400, "at most 2000");
        assertProblem(create(Map.of("url", "https:///nohost")), 400, "host");
        assertProblem(create(Map.of("url", "https://hooks.example.com/a b")), 400, "printable ASCII");
        assertProblem(create(Map.of("url", "https://hooks.example.com/x#frag")), 400, "fragment");
        assertProblem(create(Map.of("url", "not a url at all")), 400, "url");
        assertProblem(create(Map.of("events", List.of("*"))), 400, "url is required");
        assertProblem(create(Map.of("url", receiver.url(), "events", List.of("device.exploded"))), 400,
                "'device.exploded' is not an event type: send some of device.update_failed");
        assertProblem(create(Map.of("url", receiver.url(), "events", List.of())), 400, "events is empty");
        assertProblem(create(Map.of("url", receiver.url(), "secret", "short")), 400, "secret must be 16 to 256");
        assertProblem(create(Map.of("url", receiver.url(), "events", "device.update_failed")), 400, "events");
        assertProblem(api.raw("POST", ApiPaths.WEBHOOKS, ADMIN, "application/json", "{\"url\":"), 400, "");
        assertProblem(api.post(ApiPaths.WEBHOOKS, device.token(), Map.of("url", receiver.url())), 403, "");
        assertProblem(api.post(ApiPaths.WEBHOOKS, ENROLLMENT, Map.of("url", receiver.url())), 403, "");
        assertProblem(api.post(ApiPaths.WEBHOOKS, null, Map.of("url", receiver.url())), 401, "");

        assertProblem(api.patch(ApiPaths.webhook(id), ADMIN, Map.of("url", "gopher://x")), 400, "https://");
        assertProblem(api.patch(ApiPaths.webhook(id), ADMIN, Map.of("events", List.of("nope"))), 400, "'nope'");
        assertProblem(api.patch(ApiPaths.webhook(id), ADMIN, Map.of("secret", "tiny")), 400, "secret must be");
        assertProblem(api.patch(ApiPaths.webhook(id), ADMIN, Map.of("enabled", "yes")), 400, "enabled true or false");
        assertProblem(api.patch(ApiPaths.webhook(id), ADMIN, Map.of("created_at", "2020-01-01T00:00:00Z")), 400,
                "'created_at' cannot be changed here");
        Map<String, Object> nullUrl = new LinkedHashMap<>();
        nullUrl.put("url", null);
        assertProblem(api.patch(ApiPaths.webhook(id), ADMIN, nullUrl), 400, "url cannot be null");
        assertProblem(api.patch(ApiPaths.webhook(id), ADMIN, Map.of()), 400, "send a JSON object");
        assertProblem(api.patch(ApiPaths.webhook(id), device.token(), Map.of("enabled", false)), 403, "");
        assertProblem(api.patch(ApiPaths.webhook(unknown), ADMIN, Map.of("enabled", false)), 404, "no webhook");

        assertProblem(api.get(ApiPaths.webhook(unknown), ADMIN), 404, "GET /api/v1/webhooks lists them");
        assertProblem(api.get(ApiPaths.webhook("not-a-uuid"), ADMIN), 400, "");
        assertProblem(api.get(ApiPaths.webhook(id), device.token()), 403, "");
        assertProblem(api.get(ApiPaths.WEBHOOKS, device.token()), 403, "");
        assertProblem(api.get(ApiPaths.WEBHOOKS + "?size=0", ADMIN), 400, "size between 1 and 500");
        assertProblem(api.get(ApiPaths.webhookDeliveries(unknown), ADMIN), 404, "no webhook");
        assertProblem(api.get(ApiPaths.webhookDeliveries(id), device.token()), 403, "");
        assertProblem(api.get(ApiPaths.webhookDeliveries(id) + "?status=lost", ADMIN), 400,
                "pending | delivered | failed");
        assertProblem(api.delete(ApiPaths.webhook(unknown), ADMIN), 404, "no webhook");
        assertProblem(api.delete(ApiPaths.webhook(id), device.token()), 403, "");

        assertThat(List.of(api.get(ApiPaths.WEBHOOKS, ADMIN).json())).isEqualTo(before);
        assertThat(jdbc.queryForObject("select count(*) from webhooks", Integer.class)).isEqualTo(1);
        assertThat(jdbc.queryForObject("select secret from webhooks", String.class)).isEqualTo(SECRET);
    }

    @Test
    void anEventIsQueuedForEachEnabledWebhookSubscribedToItAndOnlyIfItsTransactionCommits() {
        String failures = webhook(receiver.url(), List.of("device.update_failed"));
        String everything = webhook(receiver.url(), List.of("*"));
        String rollouts = webhook(receiver.url(), List.of("rollout.paused"));
        String paused = webhook(receiver.url(), List.of("*"));
        api.patch(ApiPaths.webhook(paused), ADMIN, Map.of("enabled", false));

        transactions.executeWithoutResult(tx -> {
            notifications.publish(Notifications.Events.DEVICE_UPDATE_FAILED, "rolled back", Map.of());
            tx.setRollbackOnly();
        });
        assertThat(jdbc.queryForObject("select count(*) from webhook_deliveries", Integer.class))
                .as("nothing of a rolled-back transaction").isZero();

        transactions.executeWithoutResult(tx -> notifications.publish(Notifications.Events.DEVICE_UPDATE_FAILED,
                "committed", Map.of("device_uuid", "x")));

        assertThat(deliveries(failures)).hasSize(1);
        assertThat(deliveries(everything)).hasSize(1);
        assertThat(deliveries(rollouts)).isEmpty();
        assertThat(deliveries(paused)).isEmpty();
        assertThat(deliveries(failures).get(0).get("event_id"))
                .isEqualTo(deliveries(everything).get(0).get("event_id"));
        assertThat(receiver.received()).as("publishing never calls the network").isEmpty();
    }

    @Test
    void aDeliveryIsPostedSignedAndTheReceiverCanVerifyTheSignature() {
        String id = webhook(receiver.url(), List.of("*"));
        notifications.publish(Notifications.Events.ROLLOUT_PAUSED, "Rollout of v1.2.0 paused: 3 of 20 failed.",
                Map.of("rollout_id", "r-1", "failed", 3));

        assertThat(delivery.tick()).isEqualTo(1);

        assertThat(receiver.received()).hasSize(1);
        WebhookReceiver.Received request = receiver.received().get(0);
        String timestamp = request.header("X-Javia-Timestamp");
        assertThat(timestamp).isEqualTo(Long.toString(NOON_UTC.getEpochSecond()));
        assertThat(request.header("X-Javia-Signature"))
                .isEqualTo("sha256=" + hmac(SECRET, timestamp + "." + request.body()));
        assertThat(request.header("X-Javia-Event")).isEqualTo("rollout.paused");
        assertThat(request.header("Content-Type")).isEqualTo("application/json");
        JsonNode body = JSON.readTree(request.body());
        assertThat(body.propertyNames()).containsExactly("id", "event", "occurred_at", "text", "data");
        assertThat(body.get("id").asString()).isEqualTo(request.header("X-Javia-Event-Id"));
        assertThat(body.get("event").asString()).isEqualTo("rollout.paused");
        assertThat(body.get("occurred_at").asString()).isEqualTo("2026-06-15T12:00:00Z");
        assertThat(body.get("text").asString()).isEqualTo("Rollout of v1.2.0 paused: 3 of 20 failed.");
        assertThat(body.get("data").get("failed").asInt()).isEqualTo(3);

        JsonNode logged = deliveries(id).get(0);
        assertThat(logged.get("status").asString()).isEqualTo("delivered");
        assertThat(logged.get("attempts").asInt()).isEqualTo(1);
        assertThat(logged.get("last_status").asInt()).isEqualTo(200);
        assertThat(logged.get("delivered_at").asString()).isEqualTo("2026-06-15T12:00:00Z");
        assertThat(logged.get("next_attempt_at").isNull()).isTrue();
        assertThat(delivery.tick()).as("a delivered event is not sent again").isZero();
    }

    @Test
    void aReceiverThatAnswers500TwiceIsRetriedWithGrowingWaitsAndTheLogShowsTheAttempts() {
        receiver.answering(500, 500, 200);
        String id = webhook(receiver.url(), List.of("*"));
        notifications.publish(Notifications.Events.ROLLOUT_FINISHED, "Rollout of v1.2.0 finished.", Map.of());

        delivery.tick();
        JsonNode first = deliveries(id).get(0);
        assertThat(first.get("status").asString()).isEqualTo("pending");
        assertThat(first.get("attempts").asInt()).isEqualTo(1);
        assertThat(first.get("last_status").asInt()).isEqualTo(500);
        assertThat(first.get("last_error").asString()).startsWith("the receiver answered 500");
        assertThat(Instant.parse(first.get("next_attempt_at").asString()))
                .as("the first retry, drawn in the upper half of 30 s")
                .isBetween(NOON_UTC.plusSeconds(15), NOON_UTC.plusSeconds(30));
        assertThat(delivery.tick()).as("not due yet").isZero();

        clock.advance(Duration.ofSeconds(30));
        delivery.tick();
        JsonNode second = deliveries(id).get(0);
        assertThat(second.get("attempts").asInt()).isEqualTo(2);
        assertThat(Instant.parse(second.get("next_attempt_at").asString()))
                .as("the second wait, doubled")
                .isBetween(clock.instant().plusSeconds(30), clock.instant().plusSeconds(60));

        clock.advance(Duration.ofMinutes(1));
        delivery.tick();
        JsonNode third = deliveries(id).get(0);
        assertThat(third.get("status").asString()).isEqualTo("delivered");
        assertThat(third.get("attempts").asInt()).isEqualTo(3);
        assertThat(third.get("last_status").asInt()).isEqualTo(200);
        assertThat(third.get("last_error").isNull()).isTrue();
        assertThat(receiver.received()).hasSize(3).extracting(r -> r.header("X-Javia-Event-Id")).containsOnly(
                third.get("event_id").asString());
    }

    @Test
    void aHangingReceiverHoldsUpNoRequestAndTheTickGivesUpAtItsTimeout() throws Exception {
        receiver.answering(WebhookReceiver.HANG);
        String id = webhook(receiver.url(), List.of("*"));
        notifications.publish(Notifications.Events.APPROVAL_REQUESTED, "Rollout of v1.2.0 waits for approval.",
                Map.of());

        CompletableFuture<Integer> tick = CompletableFuture.supplyAsync(delivery::tick, background);
        assertThat(receiver.awaitRequest(5)).as("the receiver got the request").isTrue();

        HttpApi.Response during = api.get(ApiPaths.webhookDeliveries(id), ADMIN);
        // answered, and the tick still waits for the receiver (its timeout is 1 s): the request did not wait for it,
        // and no lock the tick holds stands in the way of reading the delivery it is making
        assertThat(tick.isDone()).as("the tick is still waiting for the receiver").isFalse();
        assertThat(during.status()).isEqualTo(200);
        assertThat(during.json().get("deliveries").get(0).get("attempts").asInt()).isEqualTo(1);

        assertThat(tick.get(5, TimeUnit.SECONDS)).isEqualTo(1);
        JsonNode logged = deliveries(id).get(0);
        assertThat(logged.get("status").asString()).isEqualTo("pending");
        assertThat(logged.get("last_status").isNull()).isTrue();
        assertThat(logged.get("last_error").asString()).isEqualTo("no answer within 1s");
    }

    @Test
    void aDeliveryStillFailingADayAfterItsEventIsMarkedFailed() {
        receiver.answering(503, 503);
        String id = webhook(receiver.url(), List.of("*"));
        notifications.publish(Notifications.Events.ROLLOUT_CANCELLED, "Rollout of v1.2.0 cancelled.", Map.of());
        delivery.tick();

        clock.advance(Duration.ofHours(24).plusMinutes(1));
        delivery.tick();

        JsonNode logged = deliveries(id).get(0);
        assertThat(logged.get("status").asString()).isEqualTo("failed");
        assertThat(logged.get("attempts").asInt()).isEqualTo(2);
        assertThat(logged.get("last_status").asInt()).isEqualTo(503);
        assertThat(logged.get("next_attempt_at").isNull()).isTrue();
        clock.advance(Duration.ofHours(1));
        assertThat(delivery.tick()).as("a failed delivery is not tried again").isZero();
        assertThat(api.get(ApiPaths.webhookDeliveries(id) + "?status=failed", ADMIN).json().get("total_elements")
                .asLong()).isEqualTo(1);
        assertThat(api.get(ApiPaths.webhookDeliveries(id) + "?status=pending", ADMIN).json().get("deliveries"))
                .isEmpty();
    }

    @Test
    void aRedirectIsAFailedAttemptAndIsNotFollowed() {
        receiver.answering(302);
        String id = webhook(receiver.url(), List.of("*"));
        notifications.publish(Notifications.Events.ROLLOUT_PAUSED, "paused", Map.of());

        delivery.tick();

        assertThat(receiver.received()).hasSize(1);
        JsonNode logged = deliveries(id).get(0);
        assertThat(logged.get("status").asString()).isEqualTo("pending");
        assertThat(logged.get("last_status").asInt()).isEqualTo(302);
        assertThat(logged.get("last_error").asString()).contains("redirects are not followed");
    }

    @Test
    void aPausedWebhooksQueuedEventsWaitAndAreSentWhenItIsEnabledAgain() {
        String id = webhook(receiver.url(), List.of("*"));
        notifications.publish(Notifications.Events.ROLLOUT_PAUSED, "before the pause", Map.of());
        api.patch(ApiPaths.webhook(id), ADMIN, Map.of("enabled", false));
        notifications.publish(Notifications.Events.ROLLOUT_PAUSED, "during the pause", Map.of());

        assertThat(delivery.tick()).isZero();
        assertThat(receiver.received()).isEmpty();

        api.patch(ApiPaths.webhook(id), ADMIN, Map.of("enabled", true));
        assertThat(delivery.tick()).isEqualTo(1);
        assertThat(JSON.readTree(receiver.received().get(0).body()).get("text").asString())
                .as("queued before the pause; nothing was queued for it while paused").isEqualTo("before the pause");
    }

    @Test
    void twoDeliveringAtOnceSendEachEventOnce() throws Exception {
        webhook(receiver.url(), List.of("*"));
        for (int i = 0; i < 6; i++) {
            notifications.publish(Notifications.Events.PHASE_ADVANCED, "phase " + i, Map.of("phase", i));
        }
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
            var first = CompletableFuture.supplyAsync(delivery::tick, two);
            var second = CompletableFuture.supplyAsync(delivery::tick, two);
            assertThat(first.get(10, TimeUnit.SECONDS) + second.get(10, TimeUnit.SECONDS)).isEqualTo(6);
        } finally {
            two.shutdownNow();
        }
        assertThat(receiver.received()).hasSize(6).extracting(r -> r.header("X-Javia-Event-Id"))
                .doesNotHaveDuplicates();
    }

    @Test
    void aFailedStatusReportNotifiesOnceWithTheDeviceTheVersionAndTheError() {
        String id = webhook(receiver.url(), List.of("device.update_failed"));
        TestDevice device = register("UTC", "v1.0.0");
        api.patch(ApiPaths.device(device.uuid()), ADMIN, Map.of("device_name", "kitchen"));
        String updateId = published("v1.1.0", "urgent");
        report(device, updateId, "downloading", null);
        assertThat(report(device, updateId, "failed", "sha256 mismatch").status()).isEqualTo(200);
        assertThat(report(device, updateId, "failed", "sha256 mismatch").status()).isEqualTo(200);

        assertThat(deliveries(id)).as("the repeated report tells nobody twice").hasSize(1);
        delivery.tick();
        JsonNode body = JSON.readTree(receiver.received().get(0).body());
        assertThat(body.get("event").asString()).isEqualTo("device.update_failed");
        assertThat(body.get("text").asString())
                .isEqualTo("Update v1.1.0 failed on kitchen (" + device.uuid() + "): sha256 mismatch");
        JsonNode data = body.get("data");
        assertThat(data.get("device_uuid").asString()).isEqualTo(device.uuid());
        assertThat(data.get("device_name").asString()).isEqualTo("kitchen");
        assertThat(data.get("version").asString()).isEqualTo("v1.1.0");
        assertThat(data.get("update_id").asString()).isEqualTo(updateId);
        assertThat(data.get("error_message").asString()).isEqualTo("sha256 mismatch");

        report(device, updateId, "downloading", null);
        report(device, updateId, "failed", "disk full");
        assertThat(deliveries(id)).as("a new failure after a retry is told").hasSize(2);
    }

    private HttpApi.Response create(Map<String, Object> body) {
        return api.post(ApiPaths.WEBHOOKS, ADMIN, body);
    }

    /** Subscribes {@code url} with the test's secret; answers the webhook's id. */
    private String webhook(String url, List<String> events) {
        HttpApi.Response created = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", url, "events", events,
                "secret", SECRET));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("webhook").get("id").asString();
    }

    private List<JsonNode> deliveries(String webhookId) {
        HttpApi.Response page = api.get(ApiPaths.webhookDeliveries(webhookId), ADMIN);
        assertThat(page.status()).as(page.toString()).isEqualTo(200);
        List<JsonNode> found = new ArrayList<>();
        page.json().get("deliveries").forEach(found::add);
        return found;
    }

    /** The signature as a receiver computes it, independently of the server's code. */
    private static String hmac(String secret, String signed) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }
}
