package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.trust.DeviceProof;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14's devices that prove who they are, over real HTTP and PostgreSQL: a device binds its own key at
 * registration; a uuid bound to a key registers again only with that key's signature over a fresh, single-use
 * challenge (and then needs no enrollment key); the enrollment key and another device's uuid take nothing over; an
 * operator resets a device whose key is lost, and the device binds its new key.
 */
class DeviceIdentityTests extends ApiTestSupport {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A device as its agent is: a uuid, a key pair, and the token it holds. */
    private static final class Agent {
        final String uuid = newDeviceUuid();
        KeyPair key = Ed25519Keys.generate();
        String token;

        String publicKey() {
            return Ed25519Keys.text(key.getPublic());
        }

        String keyId() {
            return Ed25519Keys.keyId(key.getPublic());
        }
    }

    private Map<String, Object> registration(Agent agent, String publicKey, String challenge, String signature) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("device_uuid", agent.uuid);
        body.put("timezone", "UTC");
        body.put("current_version", "v1.0.0");
        if (publicKey != null) {
            body.put("public_key", publicKey);
        }
        if (challenge != null) {
            body.put("challenge", challenge);
            body.put("signature", signature);
        }
        return body;
    }

    /** The first registration, with the enrollment key, binding the agent's key. */
    private Agent enrolled() {
        Agent agent = new Agent();
        HttpApi.Response registered = api.post(ApiPaths.REGISTER, ENROLLMENT,
                registration(agent, agent.publicKey(), null, null));
        assertThat(registered.status()).as(registered.toString()).isEqualTo(201);
        assertThat(registered.json().get("device").get("key_id").asText()).isEqualTo(agent.keyId());
        agent.token = registered.json().get("device_token").asText();
        return agent;
    }

    private String challenge(String uuid) {
        HttpApi.Response answer = api.post(ApiPaths.CHALLENGE, null, Map.of("device_uuid", uuid));
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json().get("device_uuid").asText()).isEqualTo(uuid);
        return answer.json().get("challenge").asText();
    }

    /** A registration with a proof, as the agent sends it: no X-API-Key. */
    private HttpApi.Response proved(Agent agent, String key, String challenge, String signature) {
        return api.post(ApiPaths.REGISTER, key, registration(agent, agent.publicKey(), challenge, signature));
    }

    private int status(String token, Agent agent) {
        return api.get(ApiPaths.device(agent.uuid), token).status();
    }

    private List<JsonNode> audit(String action, String uuid) {
        return jdbc.queryForList("select json_build_object('actor', actor, 'details', details)::text from audit_log"
                        + " where action = ? and target_id = ? order by id", String.class, action, uuid).stream()
                .map(JSON::readTree).toList();
    }

    @Test
    void aBoundDeviceRenewsItsTokenWithItsProofAndNoEnrollmentKey() {
        Agent agent = enrolled();
        String challenge = challenge(agent.uuid);

        HttpApi.Response renewed = proved(agent, null, challenge,
                DeviceProof.sign(agent.key.getPrivate(), agent.uuid, challenge));

        assertThat(renewed.status()).as(renewed.toString()).isEqualTo(201);
        String token = renewed.json().get("device_token").asText();
        assertThat(token).isNotEqualTo(agent.token);
        assertThat(status(token, agent)).isEqualTo(200);
        assertThat(status(agent.token, agent)).as("the replaced token").isEqualTo(401);
        List<JsonNode> entries = audit("device.token_issued", agent.uuid);
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).get("actor").asText()).isEqualTo("enrollment");
        assertThat(entries.get(0).get("details").get("key_bound").asBoolean()).isTrue();
        assertThat(entries.get(0).get("details").get("proved").asBoolean()).isFalse();
        assertThat(entries.get(1).get("actor").asText()).as("who proved it").isEqualTo("device:" + agent.uuid);
        assertThat(entries.get(1).get("details").get("key_bound").asBoolean()).isFalse();
        assertThat(entries.get(1).get("details").get("proved").asBoolean()).isTrue();
        assertThat(entries.get(1).get("details").get("key_id").asText()).isEqualTo(agent.keyId());
        assertThat(jdbc.queryForObject("select count(*) from device_challenges", Integer.class))
                .as("the challenge was taken").isZero();
    }

    @Test
    void aProofWithTheEnrollmentKeyBesideItRegistersToo() {
        Agent agent = enrolled();
        String challenge = challenge(agent.uuid);
        HttpApi.Response renewed = proved(agent, ENROLLMENT, challenge,
                DeviceProof.sign(agent.key.getPrivate(), agent.uuid, challenge));
        assertThat(renewed.status()).as(renewed.toString()).isEqualTo(201);
    }

    /** The takeover: the fleet's enrollment key and another device's uuid, as found in a log. */
    @Test
    void theEnrollmentKeyAndABoundDevicesUuidTakeNothingOver() {
        Agent victim = enrolled();
        Agent thief = new Agent();
        Map<String, Object> body = registration(victim, null, null, null);

        assertProblem(api.post(ApiPaths.REGISTER, ENROLLMENT, body), 403, "needs that key's proof");
        assertProblem(api.post(ApiPaths.REGISTER, ADMIN, body), 403, "reset-key");
        body.put("public_key", thief.publicKey());
        assertProblem(api.post(ApiPaths.REGISTER, ENROLLMENT, body), 409, "reset the device's key first");
        body.put("public_key", victim.publicKey());
        assertProblem(api.post(ApiPaths.REGISTER, ENROLLMENT, body), 403, "POST " + ApiPaths.CHALLENGE);
        // the thief's own signature over a live challenge of the victim is no proof of the victim's key
        String challenge = challenge(victim.uuid);
        body.put("challenge", challenge);
        body.put("signature", DeviceProof.sign(thief.key.getPrivate(), victim.uuid, challenge));
        assertProblem(api.post(ApiPaths.REGISTER, ENROLLMENT, body), 403, "not one by device");

        assertThat(status(victim.token, victim)).as("the victim's token still works").isEqualTo(200);
        assertThat(jdbc.queryForObject("select public_key from devices where device_uuid = ?", String.class,
                victim.uuid)).isEqualTo(victim.publicKey());
        assertThat(audit("device.token_issued", victim.uuid)).hasSize(1);
    }

    @Test
    void aRegistrationReplayedWithTheSameChallengeAndSignatureIsRefused() {
        Agent agent = enrolled();
        String challenge = challenge(agent.uuid);
        String signature = DeviceProof.sign(agent.key.getPrivate(), agent.uuid, challenge);
        HttpApi.Response first = proved(agent, null, challenge, signature);
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        String token = first.json().get("device_token").asText();

        assertProblem(proved(agent, null, challenge, signature), 403, "used already");

        assertThat(status(token, agent)).as("the replay revoked nothing").isEqualTo(200);
    }

    @Test
    void aChallengeReplacedByANewerOneIsRefusedAndTheNewerOneWorks() {
        Agent agent = enrolled();
        String older = challenge(agent.uuid);
        String newer = challenge(agent.uuid);
        assertThat(newer).isNotEqualTo(older);
        assertProblem(proved(agent, null, older, DeviceProof.sign(agent.key.getPrivate(), agent.uuid, older)), 403,
                "replaced by a newer one");
        HttpApi.Response renewed = proved(agent, null, newer,
                DeviceProof.sign(agent.key.getPrivate(), agent.uuid, newer));
        assertThat(renewed.status()).as(renewed.toString()).isEqualTo(201);
    }

    @Test
    void anExpiredChallengeIsRefused() {
        Agent agent = enrolled();
        HttpApi.Response issued = api.post(ApiPaths.CHALLENGE, null, Map.of("device_uuid", agent.uuid));
        String challenge = issued.json().get("challenge").asText();
        assertThat(Instant.parse(issued.json().get("expires_at").asText())).isEqualTo(NOON_UTC.plusSeconds(300));
        clock.advance(Duration.ofMinutes(5));

        assertProblem(proved(agent, null, challenge, DeviceProof.sign(agent.key.getPrivate(), agent.uuid, challenge)),
                403, "expired");
        assertThat(status(agent.token, agent)).isEqualTo(200);
    }

    /** The uuid is in the signed message: a device's proof over its own challenge is no proof for another device. */
    @Test
    void aProofForAnotherUuidIsRefused() {
        Agent one = enrolled();
        Agent other = enrolled();
        String ownChallenge = challenge(one.uuid);
        String othersChallenge = challenge(other.uuid);

        // one's signature, made for one's uuid, sent for the other device with one's challenge
        assertProblem(proved(other, null, ownChallenge, DeviceProof.sign(one.key.getPrivate(), one.uuid,
                ownChallenge)), 403, "not device " + other.uuid + "'s outstanding one");
        // the other's challenge, signed by the other's key but for one's uuid
        assertProblem(proved(other, null, othersChallenge, DeviceProof.sign(other.key.getPrivate(), one.uuid,
                othersChallenge)), 403, "over its uuid and this challenge");
        assertThat(status(other.token, other)).isEqualTo(200);
        assertThat(status(one.token, one)).isEqualTo(200);
    }

    @Test
    void aRegistrationWithoutKeyOrProofIsRefusedWithWhatToSend() {
        Agent unbound = new Agent();
        HttpApi.Response refused = api.post(ApiPaths.REGISTER, null, registration(unbound, unbound.publicKey(),
                null, null));
        assertProblem(refused, 401, "enrollment key");
        assertThat(refused.header("WWW-Authenticate")).contains(ApiPaths.API_KEY_HEADER);
        // a proof means nothing for a uuid without a key: the enrollment key is needed
        assertProblem(api.post(ApiPaths.REGISTER, null, registration(unbound, unbound.publicKey(), "x", "y")), 401,
                "not registered");
        assertThat(jdbc.queryForObject("select count(*) from devices", Integer.class)).isZero();
    }

    @Test
    void aPublicKeyThatIsNotOneIsRefused() {
        Agent agent = new Agent();
        for (String garbage : List.of("ssh-ed25519 AAAA", "ed25519:not-base64!", "ed25519:AAAA", "")) {
            assertProblem(api.post(ApiPaths.REGISTER, ENROLLMENT, registration(agent, garbage, null, null)), 400,
                    "public_key");
        }
        assertThat(jdbc.queryForObject("select count(*) from devices", Integer.class)).isZero();
    }

    @Test
    void aChallengeIsForBoundDevicesOnlyAndNeedsAUuid() {
        TestDevice unbound = register("UTC");
        assertProblem(api.post(ApiPaths.CHALLENGE, null, Map.of("device_uuid", unbound.uuid())), 404,
                "no key bound");
        assertProblem(api.post(ApiPaths.CHALLENGE, null, Map.of("device_uuid", newDeviceUuid())), 404,
                "enrollment key");
        assertProblem(api.post(ApiPaths.CHALLENGE, null, Map.of("device_uuid", "kitchen")), 400, "UUID");
        assertProblem(api.raw("POST", ApiPaths.CHALLENGE, null, "application/json", ""), 400, "device_uuid");
        // bounded as every JSON body is, though anyone may send it
        String huge = "{\"device_uuid\": \"" + "0".repeat((int) properties.maxJsonBody().toBytes()) + "\"}";
        assertProblem(api.raw("POST", ApiPaths.CHALLENGE, null, "application/json", huge), 413, "larger than");
        assertThat(jdbc.queryForObject("select count(*) from device_challenges", Integer.class)).isZero();
    }

    /** Agents from before device keys send no public_key: they register and renew with the enrollment key. */
    @Test
    void anAgentWithoutAKeyRegistersAndRenewsAsBefore() {
        TestDevice device = register("UTC");
        String renewed = api.register(ENROLLMENT, device.uuid(), "UTC", "v1.0.1");
        assertThat(api.get(ApiPaths.device(device.uuid()), renewed).status()).isEqualTo(200);
        assertThat(api.get(ApiPaths.device(device.uuid()), device.token()).status()).isEqualTo(401);
        HttpApi.Response view = api.get(ApiPaths.device(device.uuid()), ADMIN);
        assertThat(view.json().get("key_id").isNull()).isTrue();
    }

    /** A device registered before keys binds one at its next registration (with the enrollment key). */
    @Test
    void aDeviceFromBeforeKeysBindsItsKeyAtItsNextRegistration() {
        Agent agent = new Agent();
        assertThat(api.post(ApiPaths.REGISTER, ENROLLMENT, registration(agent, null, null, null)).status())
                .isEqualTo(201);
        HttpApi.Response bound = api.post(ApiPaths.REGISTER, ENROLLMENT,
                registration(agent, agent.publicKey(), null, null));
        assertThat(bound.status()).as(bound.toString()).isEqualTo(201);
        assertThat(bound.json().get("device").get("key_id").asText()).isEqualTo(agent.keyId());
        assertProblem(api.post(ApiPaths.REGISTER, ENROLLMENT, registration(agent, agent.publicKey(), null, null)),
                403, "needs that key's proof");
    }

    @Test
    void anOperatorResetsALostKeyAndTheDeviceBindsItsNewOne() {
        Agent agent = enrolled();
        String oldKeyId = agent.keyId();
        challenge(agent.uuid);

        HttpApi.Response reset = api.post(ApiPaths.resetDeviceKey(agent.uuid), ADMIN,
                Map.of("reason", "SD card replaced"));

        assertThat(reset.status()).as(reset.toString()).isEqualTo(200);
        assertThat(reset.json().get("key_id").isNull()).isTrue();
        assertThat(status(agent.token, agent)).as("the token is revoked").isEqualTo(401);
        assertThat(jdbc.queryForObject("select count(*) from device_challenges", Integer.class))
                .as("the outstanding challenge is dropped").isZero();
        List<JsonNode> entries = audit("device.key_reset", agent.uuid);
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).get("actor").asText()).isEqualTo("admin");
        assertThat(entries.get(0).get("details").get("key_id").asText()).isEqualTo(oldKeyId);
        assertThat(entries.get(0).get("details").get("revoked_token").asBoolean()).isTrue();
        assertThat(entries.get(0).get("details").get("reason").asText()).isEqualTo("SD card replaced");

        // the re-imaged device: same uuid, new key, the enrollment key
        agent.key = Ed25519Keys.generate();
        HttpApi.Response rebound = api.post(ApiPaths.REGISTER, ENROLLMENT,
                registration(agent, agent.publicKey(), null, null));
        assertThat(rebound.status()).as(rebound.toString()).isEqualTo(201);
        assertThat(rebound.json().get("device").get("key_id").asText()).isEqualTo(agent.keyId())
                .isNotEqualTo(oldKeyId);
        String challenge = challenge(agent.uuid);
        assertThat(proved(agent, null, challenge, DeviceProof.sign(agent.key.getPrivate(), agent.uuid, challenge))
                .status()).as("the new key proves the device").isEqualTo(201);
    }

    @Test
    void aResetWithoutABodyIsRecordedWithoutAReason() {
        Agent agent = enrolled();
        assertThat(api.raw("POST", ApiPaths.resetDeviceKey(agent.uuid), ADMIN, "application/json", "").status())
                .isEqualTo(200);
        assertThat(audit("device.key_reset", agent.uuid).get(0).get("details").has("reason")).isFalse();
        assertProblem(api.post(ApiPaths.resetDeviceKey(newDeviceUuid()), ADMIN, Map.of()), 404, "no device");
        assertProblem(api.post(ApiPaths.resetDeviceKey(agent.uuid), ADMIN, Map.of("reason", "x".repeat(501))), 400,
                "at most 500");
    }

    @Test
    void onlyAnAdminResetsAKey() {
        Agent agent = enrolled();
        Agent other = enrolled();
        assertProblem(api.post(ApiPaths.resetDeviceKey(agent.uuid), agent.token, Map.of()), 403, "admin key");
        assertProblem(api.post(ApiPaths.resetDeviceKey(agent.uuid), other.token, Map.of()), 403, "admin key");
        assertProblem(api.post(ApiPaths.resetDeviceKey(agent.uuid), ENROLLMENT, Map.of()), 403, "may only register");
        assertProblem(api.post(ApiPaths.resetDeviceKey(agent.uuid), null, Map.of()), 401, "X-API-Key");
        assertThat(status(agent.token, agent)).isEqualTo(200);
        assertThat(jdbc.queryForObject("select public_key from devices where device_uuid = ?", String.class,
                agent.uuid)).isEqualTo(agent.publicKey());
        assertThat(audit("device.key_reset", agent.uuid)).isEmpty();
    }

    /** A device token registers nothing, not even with a proof: registration is for keys and proofs only. */
    @Test
    void aDeviceTokenDoesNotRegister() {
        Agent agent = enrolled();
        String challenge = challenge(agent.uuid);
        assertProblem(proved(agent, agent.token, challenge, DeviceProof.sign(agent.key.getPrivate(), agent.uuid,
                challenge)), 403, "only its own device");
    }
}
