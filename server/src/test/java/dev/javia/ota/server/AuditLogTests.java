package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.audit.AuditLog;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.TestDatabaseInitializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 13: every operator action leaves exactly one entry in the audit log, attributed to the admin key's name,
 * in the action's own transaction (a refused action leaves none); PostgreSQL refuses to change or remove entries;
 * {@code GET /api/v1/audit} pages and filters them. The keys here are named: {@code alice}, {@code ops-bot}, and a
 * plain third key, named {@code admin-3} by its position.
 */
@TestPropertySource(properties = "ota.admin-api-keys=alice:" + TestDatabaseInitializer.ADMIN_KEY + ", ops-bot:"
        + AuditLogTests.OPS_BOT_KEY + "," + TestDatabaseInitializer.SECOND_ADMIN_KEY)
@ExtendWith(OutputCaptureExtension.class)
class AuditLogTests extends ApiTestSupport {

    static final String OPS_BOT_KEY = "test-ops-bot-key-5c2e9a71d3b84f06";
    private static final String THIRD = TestDatabaseInitializer.SECOND_ADMIN_KEY;
    /** A receiver's URL as Slack makes them: its token is in the path. */
    private static final String SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXX?channel=ops";

    @Autowired
    AuditLog audit;
    @Autowired
    TransactionTemplate transaction;

    /** The log is append-only, even for tests: its TRUNCATE trigger is set aside for the one statement that clears it. */
    @BeforeEach
    void emptyAuditLog() {
        jdbc.execute("alter table audit_log disable trigger audit_log_no_truncate; truncate audit_log;"
                + " alter table audit_log enable trigger audit_log_no_truncate");
    }

    @Test
    void eachNamedKeyIsTheActorOfWhatItDoes() {
        TestDevice device = register("UTC");
        String updateId = published("v1.1.0", "scheduled");
        assertThat(api.patch(ApiPaths.device(device.uuid()), OPS_BOT_KEY, Map.of("device_name", "kitchen")).status())
                .isEqualTo(200);
        assertThat(api.post(ApiPaths.installNow(updateId, device.uuid()), THIRD, Map.of()).status()).isEqualTo(200);

        assertThat(actorsByAction()).containsExactly(
                "device_update.install_now=admin-3", "device.changed=ops-bot", "update.published=alice",
                "device.token_issued=enrollment");
    }

    @Test
    void aPublicationIsOneEntryWithItsSettings(CapturedOutput output) {
        TestDevice a = register("UTC");
        register("UTC");
        clock.advance(Duration.ofMinutes(5));

        String id = published("v1.1.0", "urgent");

        JsonNode entry = onlyEntry("update.published");
        assertThat(entry.get("actor").asText()).isEqualTo("alice");
        assertThat(entry.get("address").asText()).isEqualTo("127.0.0.1");
        assertThat(entry.get("at").asText()).isEqualTo("2026-06-15T12:05:00Z");
        assertThat(entry.get("target_type").asText()).isEqualTo("update");
        assertThat(entry.get("target_id").asText()).isEqualTo(id);
        JsonNode details = entry.get("details");
        assertThat(details.get("version").asText()).isEqualTo("v1.1.0");
        assertThat(details.get("update_type").asText()).isEqualTo("urgent");
        assertThat(details.get("target_devices").isNull()).isTrue();
        assertThat(details.get("scheduled_devices").asInt()).isEqualTo(2);
        assertThat(details.get("rollout_state").asText()).isEqualTo("running");
        assertThat(details.get("phases").toString()).isEqualTo("[\"100%\"]");
        assertThat(details.get("rules").get("success_threshold").asDouble()).isEqualTo(0.95);
        assertThat(output.getOut()).contains("audit action=update.published actor=alice target=update/" + id
                + " address=127.0.0.1");

        assertThat(publish("v1.2.0", "scheduled", null, a.uuid()).status()).isEqualTo(201);
        assertThat(entries("?action=update.published").get(0).get("details").get("target_devices").toString())
                .isEqualTo("[\"" + a.uuid() + "\"]");
    }

    @Test
    void aRefusedPublicationLeavesNoEntry() {
        published("v1.1.0", "scheduled");

        assertThat(publish("v1.1.0", "scheduled").status()).as("the same version again").isEqualTo(409);
        assertThat(publish("v1.0.9", "scheduled").status()).as("an older version").isEqualTo(409);
        assertThat(publish("v1.2.0", "scheduled", null, newDeviceUuid()).status()).as("an unknown target")
                .isEqualTo(400);

        assertThat(entries("?action=update.published")).hasSize(1);
    }

    @Test
    void aDeviceChangeRecordsEachChangedFieldOldAndNew() {
        TestDevice device = register("UTC");

        HttpApi.Response changed = api.patch(ApiPaths.device(device.uuid()), ADMIN,
                Map.of("device_name", "kitchen", "update_window", Map.of("start_hour", 4, "length_minutes", 120)));

        assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
        JsonNode entry = onlyEntry("device.changed");
        assertThat(entry.get("actor").asText()).isEqualTo("alice");
        assertThat(entry.get("address").asText()).isEqualTo("127.0.0.1");
        assertThat(entry.get("target_type").asText()).isEqualTo("device");
        assertThat(entry.get("target_id").asText()).isEqualTo(device.uuid());
        JsonNode details = entry.get("details");
        assertThat(details.get("device_name")).isEqualTo(json("{\"old\":null,\"new\":\"kitchen\"}"));
        assertThat(details.get("update_window").get("old").isNull()).isTrue();
        assertThat(details.get("update_window").get("new").get("start_hour").asInt()).isEqualTo(4);
        assertThat(details.get("update_window").get("new").get("length_minutes").asInt()).isEqualTo(120);

        Map<String, Object> remove = new HashMap<>();
        remove.put("update_window", null);
        assertThat(api.patch(ApiPaths.device(device.uuid()), ADMIN, remove).status()).isEqualTo(200);
        JsonNode removed = entries("?action=device.changed").get(0).get("details");
        assertThat(removed.propertyNames()).containsExactly("update_window");
        assertThat(removed.get("update_window").get("old").get("start_hour").asInt()).isEqualTo(4);
        assertThat(removed.get("update_window").get("new").isNull()).isTrue();
    }

    @Test
    void aRefusedOrEmptyDeviceChangeLeavesNoEntry() {
        TestDevice device = register("UTC");
        api.patch(ApiPaths.device(device.uuid()), ADMIN, Map.of("device_name", "kitchen"));

        assertThat(api.patch(ApiPaths.device(device.uuid()), ADMIN, Map.of("device_name", "hall",
                "update_window", Map.of("start_hour", 30))).status()).as("a bad hour after a good name").isEqualTo(400);
        assertThat(api.patch(ApiPaths.device(device.uuid()), ADMIN, Map.of("timezone", "UTC")).status())
                .isEqualTo(400);
        assertThat(api.patch(ApiPaths.device(newDeviceUuid()), ADMIN, Map.of("device_name", "x")).status())
                .isEqualTo(404);
        assertThat(api.patch(ApiPaths.device(device.uuid()), device.token(), Map.of("device_name", "x")).status())
                .isEqualTo(403);
        assertThat(api.patch(ApiPaths.device(device.uuid()), ADMIN, Map.of("device_name", "kitchen")).status())
                .as("the name it already has").isEqualTo(200);

        assertThat(entries("?action=device.changed")).hasSize(1);
        assertThat(api.get(ApiPaths.device(device.uuid()), ADMIN).json().get("device_name").asText())
                .isEqualTo("kitchen");
    }

    @Test
    void installNowIsOneEntryAndARefusedOneNone() {
        TestDevice device = register("UTC");
        TestDevice started = register("UTC");
        String id = published("v1.1.0", "scheduled");
        api.post(ApiPaths.updateStatus(id), started.token(), Map.of("status", "downloading"));

        assertThat(api.post(ApiPaths.installNow(id, device.uuid()), ADMIN, Map.of()).status()).isEqualTo(200);
        assertThat(api.post(ApiPaths.installNow(id, started.uuid()), ADMIN, Map.of()).status()).isEqualTo(409);
        assertThat(api.post(ApiPaths.installNow(id, newDeviceUuid()), ADMIN, Map.of()).status()).isEqualTo(404);

        JsonNode entry = onlyEntry("device_update.install_now");
        assertThat(entry.get("actor").asText()).isEqualTo("alice");
        assertThat(entry.get("address").asText()).isEqualTo("127.0.0.1");
        assertThat(entry.get("target_type").asText()).isEqualTo("device");
        assertThat(entry.get("target_id").asText()).isEqualTo(device.uuid());
        assertThat(entry.get("details").get("update_id").asText()).isEqualTo(id);
        assertThat(entry.get("details").get("version").asText()).isEqualTo("v1.1.0");
        assertThat(Instant.parse(entry.get("details").get("scheduled_for_before").asText())).isAfter(NOON_UTC);
    }

    @Test
    void aWebhooksCreationEachChangeAndDeletionAreEntriesThatNameItsHostAndNeverItsSecret() {
        String secret = "a-receivers-secret-0123456789abcdef";
        String rotated = "a-rotated-secret-fedcba9876543210";
        HttpApi.Response created = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", SLACK_URL,
                "events", List.of("rollout.paused"), "secret", secret, "description", "ops channel"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().get("webhook").get("id").asText();
        clock.advance(Duration.ofMinutes(1));
        assertThat(api.patch(ApiPaths.webhook(id), OPS_BOT_KEY, Map.of("url",
                "https://relay.example.com/slack/NEWTOKEN", "enabled", false, "events",
                List.of("rollout.paused"))).status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(1));
        assertThat(api.patch(ApiPaths.webhook(id), THIRD, Map.of("secret", rotated, "events", List.of("*"),
                "description", "")).status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(1));
        assertThat(api.delete(ApiPaths.webhook(id), ADMIN).status()).isEqualTo(204);

        HttpApi.Response log = api.get(ApiPaths.AUDIT + "?target_id=" + id, ADMIN);
        List<JsonNode> entries = new ArrayList<>();
        log.json().get("entries").forEach(entries::add);
        assertThat(entries).extracting(entry -> entry.get("action").asText() + "=" + entry.get("actor").asText())
                .containsExactly("webhook.deleted=alice", "webhook.changed=admin-3", "webhook.changed=ops-bot",
                        "webhook.created=alice");
        for (JsonNode entry : entries) {
            assertThat(entry.get("target_type").asText()).isEqualTo("webhook");
            assertThat(entry.get("address").asText()).isEqualTo("127.0.0.1");
        }
        assertThat(entries.get(3).get("at").asText()).isEqualTo("2026-06-15T12:00:00Z");
        assertThat(entries.get(3).get("details")).isEqualTo(json(
                "{\"host\":\"hooks.slack.com\",\"events\":[\"rollout.paused\"],\"enabled\":true}"));
        assertThat(entries.get(2).get("details")).as("the events sent as they were are no change").isEqualTo(json(
                "{\"host\":\"relay.example.com\",\"events\":[\"rollout.paused\"],\"enabled\":false,\"changed\":"
                        + "{\"url\":{\"old\":\"hooks.slack.com\",\"new\":\"relay.example.com\"},"
                        + "\"enabled\":{\"old\":true,\"new\":false}}}"));
        assertThat(entries.get(1).get("details")).isEqualTo(json(
                "{\"host\":\"relay.example.com\",\"events\":[\"*\"],\"enabled\":false,\"changed\":"
                        + "{\"events\":{\"old\":[\"rollout.paused\"],\"new\":[\"*\"]},"
                        + "\"description\":{\"old\":\"ops channel\",\"new\":null},\"secret\":\"rotated\"}}"));
        assertThat(entries.get(0).get("at").asText()).isEqualTo("2026-06-15T12:03:00Z");
        assertThat(entries.get(0).get("details")).isEqualTo(json(
                "{\"host\":\"relay.example.com\",\"events\":[\"*\"],\"enabled\":false}"));
        String wholeLog = api.get(ApiPaths.AUDIT + "?size=500", ADMIN).body();
        assertThat(wholeLog).doesNotContain(secret).doesNotContain(rotated)
                .as("the URL's path and query may hold the receiver's token")
                .doesNotContain("XXXX", "NEWTOKEN", "T000", "channel=ops");
    }

    @Test
    void aSecretTheServerMadeIsNotInTheLog() {
        HttpApi.Response created = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", SLACK_URL));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().get("webhook").get("id").asText();
        String secret = created.json().get("secret").asText();

        List<JsonNode> entries = entries("?target_type=webhook&target_id=" + id);

        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).get("details").get("events").toString()).isEqualTo("[\"*\"]");
        assertThat(api.get(ApiPaths.AUDIT + "?size=500", ADMIN).body()).doesNotContain(secret).doesNotContain("XXXX");
    }

    @Test
    void aRefusedOrEmptyWebhookActionLeavesNoEntry() {
        TestDevice device = register("UTC");
        HttpApi.Response created = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", SLACK_URL,
                "events", List.of("rollout.paused")));
        String id = created.json().get("webhook").get("id").asText();

        assertThat(api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", "ftp://hooks.example.com/x")).status())
                .isEqualTo(400);
        assertThat(api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", SLACK_URL, "events", List.of("device.exploded")))
                .status()).isEqualTo(400);
        assertThat(api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", SLACK_URL, "secret", "short")).status())
                .isEqualTo(400);
        assertThat(api.post(ApiPaths.WEBHOOKS, device.token(), Map.of("url", SLACK_URL)).status()).isEqualTo(403);
        assertThat(api.patch(ApiPaths.webhook(id), ADMIN, Map.of("enabled", false, "secret", "tiny")).status())
                .as("a bad secret after a good change").isEqualTo(400);
        assertThat(api.patch(ApiPaths.webhook(id), ADMIN, Map.of("created_at", "2020-01-01T00:00:00Z")).status())
                .isEqualTo(400);
        assertThat(api.patch(ApiPaths.webhook(id), device.token(), Map.of("enabled", false)).status())
                .isEqualTo(403);
        assertThat(api.patch(ApiPaths.webhook(id), ADMIN, Map.of("url", SLACK_URL, "enabled", true)).status())
                .as("what it already is").isEqualTo(200);
        assertThat(api.delete(ApiPaths.webhook(newDeviceUuid()), ADMIN).status()).isEqualTo(404);
        assertThat(api.delete(ApiPaths.webhook(id), device.token()).status()).isEqualTo(403);

        assertThat(entries("?target_type=webhook")).extracting(entry -> entry.get("action").asText() + " "
                + entry.get("target_id").asText()).containsExactly("webhook.created " + id);
        assertThat(entries("?target_id=" + id)).hasSize(1);
        assertThat(api.get(ApiPaths.webhook(id), ADMIN).json().get("enabled").asBoolean()).isTrue();
    }

    @Test
    void aTokenIssuedAtRegistrationSaysWhetherItReplacedOne() {
        TestDevice device = register("UTC");
        api.register(ENROLLMENT, device.uuid(), "UTC", "v1.0.0");
        assertThat(api.post(ApiPaths.REGISTER, ENROLLMENT, Map.of("timezone", "UTC")).status()).isEqualTo(400);

        List<JsonNode> issued = entries("?action=device.token_issued");
        assertThat(issued).hasSize(2);
        for (JsonNode entry : issued) {
            assertThat(entry.get("actor").asText()).isEqualTo("enrollment");
            assertThat(entry.get("address").asText()).isEqualTo("127.0.0.1");
            assertThat(entry.get("target_type").asText()).isEqualTo("device");
            assertThat(entry.get("target_id").asText()).isEqualTo(device.uuid());
        }
        assertThat(issued.get(0).get("details")).isEqualTo(json("{\"registered\":false,\"replaced_token\":true,"
                + "\"key_bound\":false,\"proved\":false}"));
        assertThat(issued.get(1).get("details")).isEqualTo(json("{\"registered\":true,\"replaced_token\":false,"
                + "\"key_bound\":false,\"proved\":false}"));
    }

    @Test
    void anEntryIsPartOfItsCallersTransactionOrElseItsOwn() {
        transaction.executeWithoutResult(status -> {
            audit.recordSystem("rollout.paused", "rollout", "r-rolled-back", Map.of("reason", "test"));
            status.setRollbackOnly();
        });
        audit.recordSystem("rollout.paused", "rollout", "r-own", Map.of("reason", "failures above 10%"));

        JsonNode entry = onlyEntry("rollout.paused");
        assertThat(entry.get("target_id").asText()).isEqualTo("r-own");
        assertThat(entry.get("actor").asText()).isEqualTo(AuditLog.SYSTEM);
        assertThat(entry.get("address").isNull()).as("no request, no address").isTrue();
        assertThat(entry.get("details").get("reason").asText()).isEqualTo("failures above 10%");
    }

    @Test
    void postgresqlRefusesToChangeOrRemoveAnEntry() {
        audit.recordSystem("rollout.paused", "rollout", "r1", Map.of());

        assertThatThrownBy(() -> jdbc.update("update audit_log set actor = 'mallory'")).rootCause()
                .hasMessageContaining("audit_log is append-only: UPDATE refused");
        assertThatThrownBy(() -> jdbc.update("delete from audit_log")).rootCause()
                .hasMessageContaining("audit_log is append-only: DELETE refused");
        assertThatThrownBy(() -> jdbc.execute("truncate audit_log")).rootCause()
                .hasMessageContaining("audit_log is append-only: TRUNCATE refused");
        assertThat(jdbc.queryForObject("select actor from audit_log", String.class)).isEqualTo("system");
    }

    @Test
    void theLogIsNewestFirstAPageAtATime() {
        for (int i = 0; i < 5; i++) {
            audit.recordSystem("rollout.advanced", "rollout", "r" + i, Map.of());
            clock.advance(Duration.ofMinutes(1));
        }

        JsonNode first = api.get(ApiPaths.AUDIT + "?size=2", ADMIN).json();
        JsonNode last = api.get(ApiPaths.AUDIT + "?size=2&page=2", ADMIN).json();

        assertThat(targets(first)).containsExactly("r4", "r3");
        assertThat(targets(api.get(ApiPaths.AUDIT + "?size=2&page=1", ADMIN).json())).containsExactly("r2", "r1");
        assertThat(targets(last)).containsExactly("r0");
        assertThat(first.get("page").asInt()).isZero();
        assertThat(last.get("page").asInt()).isEqualTo(2);
        assertThat(first.get("size").asInt()).isEqualTo(2);
        assertThat(first.get("total_elements").asLong()).isEqualTo(5);
        assertThat(first.get("total_pages").asInt()).isEqualTo(3);
        assertThat(targets(api.get(ApiPaths.AUDIT, ADMIN).json())).hasSize(5);
    }

    @Test
    void everyFilterHoldsAndABlankOneIsNoFilter() {
        TestDevice device = register("UTC");
        clock.advance(Duration.ofHours(1));
        published("v1.1.0", "scheduled");
        clock.advance(Duration.ofHours(1));
        api.patch(ApiPaths.device(device.uuid()), OPS_BOT_KEY, Map.of("device_name", "kitchen"));

        assertThat(actions("?actor=ops-bot")).containsExactly("device.changed");
        assertThat(actions("?action=update.published")).containsExactly("update.published");
        assertThat(actions("?target_type=device")).containsExactly("device.changed", "device.token_issued");
        assertThat(actions("?target_type=device&target_id=" + device.uuid() + "&actor=enrollment"))
                .containsExactly("device.token_issued");
        assertThat(actions("?target_id=" + newDeviceUuid())).isEmpty();
        assertThat(actions("?since=2026-06-15T13:00:00Z")).containsExactly("device.changed", "update.published");
        assertThat(actions("?until=2026-06-15T13:00:00Z")).containsExactly("device.token_issued");
        assertThat(actions("?since=2026-06-15T13:00:00Z&until=2026-06-15T14:00:00Z"))
                .containsExactly("update.published");
        assertThat(actions("?actor=&action=&target_type=&target_id=&since=&until=")).hasSize(3);
        JsonNode none = api.get(ApiPaths.AUDIT + "?actor=nobody", ADMIN).json();
        assertThat(none.get("total_elements").asLong()).isZero();
        assertThat(none.get("total_pages").asInt()).isZero();
    }

    @Test
    void badFiltersAndOtherKeysAreRefused() {
        TestDevice device = register("UTC");

        assertProblem(api.get(ApiPaths.AUDIT + "?since=yesterday", ADMIN), 400,
                "since must be an ISO-8601 instant such as 2026-06-15T12:00:00Z (UTC), not 'yesterday'");
        assertProblem(api.get(ApiPaths.AUDIT + "?until=2026-06-15", ADMIN), 400, "until must be an ISO-8601 instant");
        assertProblem(api.get(ApiPaths.AUDIT + "?size=501", ADMIN), 400, "size between 1 and 500");
        assertProblem(api.get(ApiPaths.AUDIT + "?page=-1", ADMIN), 400, "page must be 0 or more");
        assertProblem(api.get(ApiPaths.AUDIT, device.token()), 403, "admin key");
        assertThat(api.get(ApiPaths.AUDIT, ENROLLMENT).status()).isEqualTo(403);
        assertThat(api.get(ApiPaths.AUDIT, null).status()).isEqualTo(401);
        assertThat(api.get(ApiPaths.AUDIT, OPS_BOT_KEY).status()).isEqualTo(200);
        assertThat(api.get(ApiPaths.AUDIT, THIRD).status()).isEqualTo(200);
    }

    private static JsonNode json(String text) {
        return JsonMapper.builder().build().readTree(text);
    }

    private JsonNode onlyEntry(String action) {
        List<JsonNode> entries = entries("?action=" + action);
        assertThat(entries).as(action).hasSize(1);
        return entries.get(0);
    }

    private List<JsonNode> entries(String query) {
        HttpApi.Response answer = api.get(ApiPaths.AUDIT + query, ADMIN);
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        List<JsonNode> entries = new ArrayList<>();
        answer.json().get("entries").forEach(entries::add);
        return entries;
    }

    private List<String> actions(String query) {
        return entries(query).stream().map(entry -> entry.get("action").asText()).toList();
    }

    private List<String> actorsByAction() {
        return entries("").stream().map(entry -> entry.get("action").asText() + "=" + entry.get("actor").asText())
                .toList();
    }

    private static List<String> targets(JsonNode page) {
        List<String> targets = new ArrayList<>();
        page.get("entries").forEach(entry -> targets.add(entry.get("target_id").asText()));
        return targets;
    }
}
