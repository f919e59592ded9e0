package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageJson;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageSignatures;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.RollbackStatement;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server without publisher keys works as before signatures: unsigned packages, rollbacks without a statement. It
 * refuses a signature it cannot verify rather than store one that vouches for nothing, and a rollback statement,
 * optional here, is still read, checked against the rollback and handed on to the agents, which may have keys.
 */
class UnsignedServerTrustTests extends ApiTestSupport {

    private static final KeyPair PUBLISHER = Ed25519Keys.generate();

    @Test
    void anUnsignedPackageIsPublishedAndItsOfferCarriesNoSignature() {
        TestDevice device = register("UTC");
        String id = published("v1.1.0", "urgent");
        JsonNode offer = api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update");
        assertThat(offer.get("signature").isNull()).isTrue();
        assertThat(offer.get("rollback_statement").isNull()).isTrue();
        assertThat(api.get(ApiPaths.update(id), ADMIN).json().get("signed_by").isNull()).isTrue();
    }

    @Test
    void aSignatureIsRefusedWhileTheServerHasNoPublisherKeys() {
        Path zip = samplePackage("v1.1.0", UpdateType.URGENT, null);
        Map<String, Object> form = form("v1.1.0", "urgent", null, null);
        form.put("package", zip);
        form.put("signature", PackageJson.mapper().writeValueAsString(
                PackageSignatures.sign(zip, PUBLISHER.getPrivate(), PackageLimits.defaults())));

        assertProblem(api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form), 400, "configure OTA_PUBLISHER_KEYS");
        assertThat(jdbc.queryForObject("select count(*) from updates", Integer.class)).isZero();
    }

    @Test
    void aRollbackStatementIsOptionalButWhenGivenItIsCheckedAndHandedOn() {
        TestDevice device = register("UTC");
        published("v1.0.0", "urgent");
        String id = releaseId(published("v1.1.0", "urgent"));
        UUID rollout = UUID.fromString(id);
        installOffer(device);

        assertProblem(rollback(id, statement(UUID.randomUUID(), "v1.0.0", "v1.1.0")), 400,
                "is for rollout");
        assertProblem(rollback(id, statement(rollout, "v1.0.0", "v1.0.9")), 400, "replaces [v1.0.9]");
        RollbackStatement.Signed good = statement(rollout, "v1.0.0", "v1.1.0");
        assertProblem(rollback(id, new RollbackStatement.Signed(good.statement(), null)), 400, "has no signature");
        assertProblem(rollback(id, new RollbackStatement.Signed("{\"format_version\": 1}", good.signature())), 400,
                "incomplete");
        assertThat(jdbc.queryForObject("select count(*) from rollouts where kind = 'rollback'", Integer.class))
                .isZero();

        HttpApi.Response rolledBack = rollback(id, good);

        assertThat(rolledBack.status()).as(rolledBack.toString()).isEqualTo(201);
        JsonNode offer = api.get(ApiPaths.check(device.uuid()), device.token()).json().get("update");
        assertThat(offer.get("rollback").asBoolean()).isTrue();
        assertThat(offer.get("rollback_statement").get("statement").asText()).isEqualTo(good.statement());
        assertThat(offer.get("rollback_statement").get("signature").get("signature").asText())
                .isEqualTo(good.signature().signature());
    }

    private String releaseId(String updateId) {
        return jdbc.queryForObject("select id::text from rollouts where update_id = ?::uuid", String.class, updateId);
    }

    private void installOffer(TestDevice device) {
        new RolloutAgents(api, ADMIN).install(device, "completed");
    }

    private static RollbackStatement.Signed statement(UUID rollout, String target, String replaces) {
        return RollbackStatement.of(rollout, Version.parse(target), List.of(Version.parse(replaces)), NOON_UTC)
                .sign(PUBLISHER.getPrivate());
    }

    private HttpApi.Response rollback(String id, RollbackStatement.Signed statement) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("to_version", "v1.0.0");
        body.put("statement", statement);
        return api.post(ApiPaths.rolloutAction(id, "rollback"), ADMIN, body);
    }
}
