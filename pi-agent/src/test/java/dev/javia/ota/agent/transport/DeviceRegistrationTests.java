package dev.javia.ota.agent.transport;

import dev.javia.ota.agent.identity.DeviceIdentity;
import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.DeviceChallenge;
import dev.javia.ota.protocol.api.DeviceRegistration;
import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.DeviceView;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.HeartbeatReply;
import dev.javia.ota.protocol.api.RegisterDevice;
import dev.javia.ota.protocol.trust.DeviceProof;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Registration with the device's key, against a server that keeps the contract's rules: an unknown uuid registers
 * with the enrollment key and binds the key it sends; a bound one only with a proof over a fresh challenge (single
 * use), and never with another key. It records what it received, so the tests check the wire, and it verifies the
 * proofs with {@link DeviceProof#verify}, as the real server does.
 */
class DeviceRegistrationTests {

    private static final String ENROLLMENT_KEY = "enroll-me";

    private final MockWebServer server = new MockWebServer();
    private final JsonMapper json = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    private final List<RecordedRequest> requests = Collections.synchronizedList(new ArrayList<>());

    /** The key the server bound to the device (null: none yet), the live challenge, the token it gave. */
    private volatile String boundKey;
    private volatile String liveChallenge;
    private volatile String token = "no-token-yet";
    private volatile int tokens;
    /** The challenge endpoint's answer is forced to this status (0: as the rules say). */
    private volatile int challengeStatus;
    /** Registration is refused with this problem (0: as the rules say). */
    private volatile int registrationStatus;

    private DeviceIdentity identity;

    @BeforeEach
    void start(@TempDir Path home) throws IOException {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                requests.add(request);
                return answer(request);
            }
        });
        server.start();
        identity = DeviceIdentity.load(home.resolve(".javia_device_uuid"), home.resolve(".javia_device_token"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private DeviceSession session(String enrollmentKey) {
        return new DeviceSession(new ServerClient(URI.create(server.url("/").toString()), Duration.ofSeconds(5)),
                identity, enrollmentKey,
                () -> new RegisterDevice(identity.uuid(), "test-pi", "Europe/Berlin", "v1.0.0", Map.of("model", "Pi")));
    }

    @Test
    void theFirstRegistrationAsksForAChallengeGetsNoneAndBindsThePublicKeyWithTheEnrollmentKey() throws Exception {
        session(ENROLLMENT_KEY).ensureRegistered();

        assertThat(paths()).containsExactly("POST " + ApiPaths.CHALLENGE, "POST " + ApiPaths.REGISTER);
        RecordedRequest challenge = requests.get(0);
        assertThat(challenge.getHeaders().get(ApiPaths.API_KEY_HEADER)).as("anonymous").isNull();
        assertThat(body(challenge).get("device_uuid").asString()).isEqualTo(identity.uuid());
        RecordedRequest register = requests.get(1);
        assertThat(register.getHeaders().get(ApiPaths.API_KEY_HEADER)).isEqualTo(ENROLLMENT_KEY);
        JsonNode sent = body(register);
        assertThat(sent.get("public_key").asString()).isEqualTo(identity.key().publicKeyText());
        assertThat(sent.get("device_uuid").asString()).isEqualTo(identity.uuid());
        assertThat(sent.get("device_name").asString()).isEqualTo("test-pi");
        assertThat(sent.has("challenge")).isFalse();
        assertThat(sent.has("signature")).isFalse();
        assertThat(boundKey).isEqualTo(identity.key().publicKeyText());
        assertThat(identity.token()).contains("token-1");
    }

    @Test
    void aRefusedTokenRegistersAgainWithAProofOverTheServersChallenge() throws Exception {
        DeviceSession session = session(ENROLLMENT_KEY);
        session.ensureRegistered();
        token = "revoked";
        requests.clear();

        session.heartbeat(new Heartbeat("v1.0.0", DeviceStatus.ONLINE, null));

        assertThat(paths()).containsExactly("POST " + ApiPaths.heartbeat(identity.uuid()),
                "POST " + ApiPaths.CHALLENGE, "POST " + ApiPaths.REGISTER, "POST " + ApiPaths.heartbeat(identity.uuid()));
        JsonNode sent = body(requests.get(2));
        String challenge = sent.get("challenge").asString();
        assertThat(challenge).isNotBlank();
        assertThat(sent.get("public_key").asString()).isEqualTo(boundKey);
        assertThat(DeviceProof.verify(Ed25519Keys.publicKey(boundKey), identity.uuid(), challenge,
                sent.get("signature").asString())).isTrue();
        assertThat(requests.get(2).getHeaders().get(ApiPaths.API_KEY_HEADER))
                .as("the enrollment key goes along when configured").isEqualTo(ENROLLMENT_KEY);
        assertThat(requests.get(3).getHeaders().get(ApiPaths.API_KEY_HEADER)).isEqualTo("token-2");
        assertThat(identity.token()).contains("token-2");
    }

    @Test
    void withAProofNoEnrollmentKeyIsNeeded() throws Exception {
        session(ENROLLMENT_KEY).ensureRegistered();
        identity.saveToken("");
        requests.clear();

        session(null).ensureRegistered();

        RecordedRequest register = requests.get(1);
        assertThat(register.getHeaders().get(ApiPaths.API_KEY_HEADER)).isNull();
        assertThat(body(register).get("signature").asString()).isNotBlank();
        assertThat(identity.token()).contains("token-2");
    }

    @Test
    void anOlderServerThatDoesNotKnowTheChallengeGetsTheRegistrationOfBefore() throws Exception {
        challengeStatus = 401; // an older server: /devices/challenge reads as /devices/{uuid}, refused without a key

        session(ENROLLMENT_KEY).ensureRegistered();

        assertThat(paths()).containsExactly("POST " + ApiPaths.CHALLENGE, "POST " + ApiPaths.REGISTER);
        JsonNode sent = body(requests.get(1));
        assertThat(sent.has("challenge")).isFalse();
        assertThat(sent.get("public_key").asString()).isEqualTo(identity.key().publicKeyText());
        assertThat(identity.token()).contains("token-1");
    }

    @Test
    void aProofTheServerRefusesSaysHowToResetTheKeyAndKeepsNoToken() throws Exception {
        boundKey = Ed25519Keys.text(Ed25519Keys.generate().getPublic()); // the server holds another key

        assertThatThrownBy(() -> session(ENROLLMENT_KEY).ensureRegistered())
                .isInstanceOfSatisfying(ServerRejectedException.class, e -> assertThat(e.status()).isEqualTo(409))
                .hasMessageContaining("reset the device's key first")
                .hasMessageContaining("create_update.sh device reset-key " + identity.uuid());
        assertThat(identity.token()).isEmpty();
    }

    @Test
    void aRefusedProofIs403WithTheServersDetail() throws Exception {
        session(ENROLLMENT_KEY).ensureRegistered();
        identity.saveToken("");
        registrationStatus = 403;

        assertThatThrownBy(() -> session(ENROLLMENT_KEY).ensureRegistered())
                .isInstanceOfSatisfying(ServerRejectedException.class, e -> assertThat(e.status()).isEqualTo(403))
                .hasMessageContaining("the proof does not verify")
                .hasMessageContaining("create_update.sh device reset-key " + identity.uuid());
        assertThat(identity.token()).isEmpty();
    }

    @Test
    void aChallengeTheServerCannotGiveNowIsRetriedLaterWithoutRegistering() {
        challengeStatus = 503;

        assertThatThrownBy(() -> session(ENROLLMENT_KEY).ensureRegistered())
                .isInstanceOf(ServerUnavailableException.class);
        assertThat(paths()).containsExactly("POST " + ApiPaths.CHALLENGE);
    }

    @Test
    void eachRegistrationSignsAFreshChallenge() throws Exception {
        session(ENROLLMENT_KEY).ensureRegistered();
        identity.saveToken("");
        session(ENROLLMENT_KEY).ensureRegistered();
        identity.saveToken("");
        session(ENROLLMENT_KEY).ensureRegistered();

        List<String> challenges = requests.stream().filter(r -> r.getUrl().encodedPath().equals(ApiPaths.REGISTER))
                .map(r -> body(r).path("challenge").asString(null)).filter(c -> c != null).toList();
        assertThat(challenges).hasSize(2).doesNotHaveDuplicates();
        assertThat(tokens).isEqualTo(3);
    }

    private MockResponse answer(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        String key = request.getHeaders().get(ApiPaths.API_KEY_HEADER);
        if (path.equals(ApiPaths.CHALLENGE)) {
            if (challengeStatus != 0) {
                return problem(challengeStatus, "Refused", "forced by the test");
            }
            if (key != null) {
                return problem(400, "Bad Request", "a challenge is asked without a key");
            }
            String uuid = body(request).get("device_uuid").asString();
            if (boundKey == null || !uuid.equals(identity.uuid())) {
                return problem(404, "Not Found", "no key is bound to device " + uuid);
            }
            liveChallenge = UUID.randomUUID().toString();
            return json(200, new DeviceChallenge(uuid, liveChallenge, Instant.now().plusSeconds(300)));
        }
        if (path.equals(ApiPaths.REGISTER)) {
            RegisterDevice body = json.readValue(request.getBody().toByteArray(), RegisterDevice.class);
            if (registrationStatus != 0) {
                return problem(registrationStatus, "Forbidden", "the proof does not verify against the device's key");
            }
            if (boundKey == null) {
                if (!ENROLLMENT_KEY.equals(key)) {
                    return problem(401, "Unauthorized", "unknown enrollment key");
                }
                boundKey = body.publicKey();
            } else {
                if (body.publicKey() != null && !body.publicKey().equals(boundKey)) {
                    return problem(409, "Conflict", "device " + body.deviceUuid() + " is bound to another key: reset "
                            + "the device's key first");
                }
                String challenge = liveChallenge;
                liveChallenge = null; // single use
                if (challenge == null || !challenge.equals(body.challenge())
                        || !DeviceProof.verify(Ed25519Keys.publicKey(boundKey), body.deviceUuid(), challenge,
                                body.signature())) {
                    return problem(403, "Forbidden", "device " + body.deviceUuid() + " is bound to a key: register "
                            + "with a proof over a fresh challenge");
                }
            }
            token = "token-" + ++tokens;
            DeviceView device = new DeviceView(UUID.randomUUID(), body.deviceUuid(), body.deviceName(), Instant.now(),
                    Instant.now(), body.currentVersion(), body.timezone(), DeviceStatus.ONLINE, body.metadata(), null,
                    null);
            return json(201, new DeviceRegistration(device, token));
        }
        if (!token.equals(key)) {
            return problem(401, "Unauthorized", "unknown device token");
        }
        if (path.endsWith("/heartbeat")) {
            return json(200, new HeartbeatReply(null, DeviceStatus.ONLINE, Instant.now(), 300, null));
        }
        return problem(404, "Not Found", "no such path " + path);
    }

    private List<String> paths() {
        synchronized (requests) {
            return requests.stream().map(r -> r.getMethod() + " " + r.getUrl().encodedPath()).toList();
        }
    }

    private JsonNode body(RecordedRequest request) {
        return json.readTree(request.getBody().utf8());
    }

    private MockResponse json(int code, Object body) {
        return new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json")
                .body(json.writeValueAsString(body)).build();
    }

    private MockResponse problem(int code, String title, String detail) {
        return new MockResponse.Builder().code(code).setHeader("Content-Type", "application/problem+json")
                .body(json.writeValueAsString(Map.of("type", "about:blank", "title", title, "status", code,
                        "detail", detail))).build();
    }
}
