package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiExamples;
import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.PublisherSignature;
import dev.javia.ota.protocol.trust.RollbackStatement;
import dev.javia.ota.server.notify.WebhookDelivery;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.WebhookReceiver;
import dev.javia.ota.server.update.RolloutReconciler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;

import java.security.KeyPair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rollbacks on a server with publisher keys: the operator's rollback takes the publisher's signed statement for
 * that very rollback, and every offer of it carries the statement to the agents; a missing, foreign, altered,
 * replayed or mismatched statement is refused and says which command signs a good one. The reconciler, which
 * cannot sign, pauses instead of rolling back and says the same.
 */
class SignedRollbackTests extends PublisherKeysTestSupport {

    @Autowired
    RolloutReconciler reconciler;
    @Autowired
    WebhookDelivery webhookDelivery;

    private RolloutAgents agents;
    private List<TestDevice> fleet;

    @BeforeEach
    void aFleetOnTheBadVersion() {
        agents = new RolloutAgents(api, ADMIN);
        fleet = List.of(register("UTC"), register("UTC"));
        publishSigned("v1.0.0", Map.of());
    }

    @Test
    void aRollbackWithTheStatementIsOfferedWithItAndTheAgentCanVerifyIt() throws IOException {
        String id = publishSigned("v1.1.0", Map.of());
        agents.installAllOffered(fleet, "completed");
        RollbackStatement.Signed statement = statement(UUID.fromString(id), "v1.0.0", List.of("v1.1.0"), PUBLISHER);

        HttpApi.Response rolledBack = rollback(id, "v1.0.0", statement);

        assertThat(rolledBack.status()).as(rolledBack.toString()).isEqualTo(201);
        for (TestDevice device : fleet) {
            JsonNode offer = api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update");
            assertThat(offer.get("version").asText()).isEqualTo("v1.0.0");
            assertThat(offer.get("rollback").asBoolean()).isTrue();
            assertThat(offer.get("signature").get("key_id").asText()).isEqualTo(keyId(PUBLISHER));
            // what an agent with the pinned keys does with it: the text is byte for byte what was signed
            RollbackStatement.Signed offered = new RollbackStatement.Signed(
                    offer.get("rollback_statement").get("statement").asText(),
                    new PublisherSignature(
                            offer.get("rollback_statement").get("signature").get("key_id").asText(),
                            offer.get("rollback_statement").get("signature").get("signature").asText()));
            RollbackStatement verified = offered.verify(PublisherKeys.parse(List.of(
                    Ed25519Keys.text(PUBLISHER.getPublic()))));
            assertThat(verified.rolloutId()).isEqualTo(UUID.fromString(id));
            assertThat(verified.targetVersion()).isEqualTo("v1.0.0");
        }
        JsonNode check = api.get(ApiPaths.check(fleet.get(0).uuid()), fleet.get(0).token()).json();
        JsonNode documented = JsonMapper.builder().build().readTree(
                Files.readString(ApiExamples.file(
                        "check-signed-rollback.response.json")));
        assertThat(fieldsOf(check.get("update"))).as("the documented offer's fields")
                .isEqualTo(fieldsOf(documented.get("update")));
        assertThat(fieldsOf(check.get("update").get("rollback_statement")))
                .isEqualTo(fieldsOf(documented.get("update").get("rollback_statement")));
        JsonNode audit = api.get(ApiPaths.AUDIT + "?action=rollout.rolled_back&target_id=" + id, ADMIN).json();
        JsonNode details = audit.get("entries").get(0).get("details");
        assertThat(details.get("statement_id").asText())
                .isEqualTo(statement.read().statementId().toString());
        assertThat(details.get("signed_by").asText()).isEqualTo(keyId(PUBLISHER));
    }

    @Test
    void aStatementSignedByThePreviousKeyAndTheNewestVersionBelowWorksWithoutToVersion() {
        String id = publishSigned("v1.1.0", Map.of());
        agents.installAllOffered(fleet, "completed");
        HttpApi.Response rolledBack = rollback(id, null,
                statement(UUID.fromString(id), "v1.0.0", List.of("v1.1.0"), PREVIOUS_PUBLISHER));
        assertThat(rolledBack.status()).as(rolledBack.toString()).isEqualTo(201);
        assertThat(agents.offeredVersion(fleet.get(0))).isEqualTo("v1.0.0");
    }

    @Test
    void withoutAStatementTheRollbackIsRefusedAndSaysWhichCommandSignsOne() {
        String id = publishSigned("v1.1.0", Map.of());
        assertRefused(id, rollback(id, "v1.0.0", null), 400,
                "create_update.sh rollout rollback " + id + " --to v1.0.0 --sign-key KEY");
        assertRefused(id, api.post(ApiPaths.rolloutAction(id, "rollback"), ADMIN, Map.of()), 400,
                "a rollback needs the publisher's signed statement");
    }

    @Test
    void aStatementSignedForAnotherRolloutIsRefused() {
        String first = publishSigned("v1.1.0", Map.of());
        String second = publishSigned("v1.2.0", Map.of());
        // the publisher's word for the first rollout, even one that lists the second's version, is not for the second
        RollbackStatement.Signed forFirst = statement(UUID.fromString(first), "v1.0.0", List.of("v1.1.0", "v1.2.0"),
                PUBLISHER);
        assertRefused(second, rollback(second, "v1.0.0", forFirst), 400,
                "the rollback statement is for rollout " + first + ", not " + second);
    }

    @Test
    void aStatementIdUsedBeforeIsRefused() {
        String first = publishSigned("v1.1.0", Map.of());
        RollbackStatement.Signed used = statement(UUID.fromString(first), "v1.0.0", List.of("v1.1.0"), PUBLISHER);
        assertThat(rollback(first, "v1.0.0", used).status()).isEqualTo(201);
        String second = publishSigned("v1.2.0", Map.of());
        RollbackStatement sameId = new RollbackStatement(RollbackStatement.FORMAT_VERSION,
                used.read().statementId(), UUID.fromString(second), "v1.0.0", List.of("v1.2.0"), NOON_UTC);

        assertRefused(second, rollback(second, "v1.0.0", sameId.sign(PUBLISHER.getPrivate())), 409,
                "the rollback statement " + sameId.statementId() + " was already used");
    }

    @Test
    void aStatementForAnotherTargetOrThatDoesNotReplaceTheRolledBackVersionIsRefused() {
        String id = publishSigned("v1.1.0", Map.of());
        UUID rollout = UUID.fromString(id);
        // to_version absent: the rollback goes to the newest below, v1.0.0
        assertRefused(id, rollback(id, null, statement(rollout, "v0.9.0", List.of("v1.1.0"), PUBLISHER)), 400,
                "says target_version v0.9.0 but this rollback goes to v1.0.0");
        assertRefused(id, rollback(id, "v1.0.0", statement(rollout, "v1.0.0", List.of("v1.0.5"), PUBLISHER)), 400,
                "replaces [v1.0.5], not v1.1.0");
    }

    @Test
    void aStatementByAnUnknownKeyAlteredOrUnreadableIsRefused() {
        String id = publishSigned("v1.1.0", Map.of());
        UUID rollout = UUID.fromString(id);
        assertRefused(id, rollback(id, "v1.0.0", statement(rollout, "v1.0.0", List.of("v1.1.0"), STRANGER)), 400,
                "not one of the trusted publisher keys");
        RollbackStatement.Signed good = statement(rollout, "v1.0.0", List.of("v1.1.0"), PUBLISHER);
        RollbackStatement.Signed altered = new RollbackStatement.Signed(
                good.statement().replace("v1.1.0", "v1.1.1"), good.signature());
        assertRefused(id, rollback(id, "v1.0.0", altered), 400, "does not verify");
        RollbackStatement.Signed notAStatement = new RollbackStatement(RollbackStatement.FORMAT_VERSION,
                UUID.randomUUID(), rollout, "v1.0.0", List.of(), NOON_UTC).sign(PUBLISHER.getPrivate());
        assertRefused(id, rollback(id, "v1.0.0", notAStatement), 400, "incomplete");
    }

    @Test
    void theFailureRulePausesInsteadOfRollingBackAndSaysHowToSign() {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            assertThat(api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", receiver.url(),
                    "events", List.of("rollout.paused"))).status()).isEqualTo(201);
            List<TestDevice> more = new ArrayList<>(fleet);
            for (int i = 0; i < 4; i++) {
                more.add(register("UTC"));
            }
            String id = publishSigned("v1.1.0", Map.of("phases", "2,100%", "auto_rollback", "true", "min_sample", "2",
                    "failure_threshold", "50%"));
            List<TestDevice> canary = agents.offered(more);
            agents.install(canary.get(0), "completed");
            agents.install(canary.get(1), "failed");

            reconciler.tick();

            String command = "create_update.sh rollout rollback " + id + " --to v1.0.0 --sign-key KEY";
            JsonNode bad = agents.view(id);
            assertThat(bad.get("state").asText()).isEqualTo("paused");
            assertThat(bad.get("rolled_back_by").isNull()).as("no rollback without the publisher").isTrue();
            assertThat(bad.get("paused_reason").asText()).contains("the failure rule tripped").contains(command);
            assertThat(agents.offeredVersion(canary.get(0))).isNull();
            JsonNode audit = api.get(ApiPaths.AUDIT + "?action=rollout.paused&target_id=" + id, ADMIN).json()
                    .get("entries").get(0);
            assertThat(audit.get("actor").asText()).isEqualTo("system");
            assertThat(audit.get("details").get("reason").asText()).contains(command);
            webhookDelivery.tick();
            assertThat(receiver.received()).singleElement()
                    .satisfies(received -> assertThat(received.body()).contains(command));

            // the operator does as told
            HttpApi.Response rolledBack = rollback(id, "v1.0.0",
                    statement(UUID.fromString(id), "v1.0.0", List.of("v1.1.0"), PUBLISHER));
            assertThat(rolledBack.status()).as(rolledBack.toString()).isEqualTo(201);
            assertThat(agents.offeredVersion(canary.get(0))).isEqualTo("v1.0.0");
        }
    }

    private static Set<String> fieldsOf(JsonNode node) {
        return new TreeSet<>(node.propertyNames());
    }

    private static RollbackStatement.Signed statement(UUID rollout, String target, List<String> replaces,
            KeyPair key) {
        return RollbackStatement.of(rollout, Version.parse(target), replaces.stream().map(Version::parse).toList(),
                NOON_UTC).sign(key.getPrivate());
    }

    private HttpApi.Response rollback(String id, String toVersion, RollbackStatement.Signed statement) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("reason", "wake word broken");
        if (toVersion != null) {
            body.put("to_version", toVersion);
        }
        if (statement != null) {
            body.put("statement", statement);
        }
        return api.post(ApiPaths.rolloutAction(id, "rollback"), ADMIN, body);
    }

    /** Refused with this status and detail, and nothing rolled back: the release runs on, no rollback rollout. */
    private void assertRefused(String id, HttpApi.Response response, int status, String detail) {
        assertProblem(response, status, detail);
        JsonNode release = agents.view(id);
        assertThat(release.get("state").asText()).isEqualTo("running");
        assertThat(release.get("rolled_back_by").isNull()).isTrue();
        assertThat(jdbc.queryForObject("select count(*) from rollouts where rollback_of = ?::uuid", Integer.class, id))
                .isZero();
    }
}
