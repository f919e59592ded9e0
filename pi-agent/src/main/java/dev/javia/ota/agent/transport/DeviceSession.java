package dev.javia.ota.agent.transport;

import dev.javia.ota.agent.identity.DeviceIdentity;
import dev.javia.ota.agent.identity.DeviceKey;
import dev.javia.ota.protocol.api.DeviceChallenge;
import dev.javia.ota.protocol.api.DeviceRegistration;
import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.DeviceWake;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.HeartbeatReply;
import dev.javia.ota.protocol.api.MessageOrder;
import dev.javia.ota.protocol.api.RegisterDevice;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateCheck;

import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The device's calls with its token attached. Registers when there is no token yet, and once more when the server
 * answers 401 (the token was lost on the server or replaced): same UUID, fresh token. Each registration carries the
 * device's public key and first asks the server for a challenge: a uuid the server has bound to a key registers
 * only with this key's signature over it (no enrollment key needed); one without a key bound (404: also a new
 * device, or an older server) registers with the enrollment key, and binds the key.
 * <p>
 * Safe for concurrent use: the loop and the heartbeat thread of a running step call it at once. The client is
 * (one okhttp client, one Jackson mapper); registering is serialized, and a 401 registers again only when the
 * refused token is still the one kept, so that two calls refused together make one registration, not two that
 * replace each other's token. Heartbeats and status reports are sent one at a time ({@code exchange}), and a
 * heartbeat is built under that lock: the device's last word on an install is its report, never a heartbeat made
 * before the report and sent after it.
 */
public final class DeviceSession {

    private static final Logger LOG = Logger.getLogger(DeviceSession.class.getName());

    private final ServerClient client;
    private final DeviceIdentity identity;
    private final String enrollmentKey;
    private final Supplier<RegisterDevice> registration;
    /** This run's id and message counter: the server orders heartbeats and reports by them (see MessageOrder). */
    private final String runId = UUID.randomUUID().toString();
    private final AtomicLong sent = new AtomicLong();
    /** Calls the server answered with a 2xx in this run: a new agent on trial commits after the first. */
    private final AtomicLong answered = new AtomicLong();
    /** One heartbeat or report at a time: each is built, numbered and sent before the next one is built. */
    private final Object exchange = new Object();

    public DeviceSession(ServerClient client, DeviceIdentity identity, String enrollmentKey,
            Supplier<RegisterDevice> registration) {
        this.client = client;
        this.identity = identity;
        this.enrollmentKey = enrollmentKey;
        this.registration = registration;
    }

    public String deviceUuid() {
        return identity.uuid();
    }

    /** Registers unless a token is already kept; returns whether it registered. */
    public synchronized boolean ensureRegistered() {
        if (identity.token().isPresent()) {
            return false;
        }
        register();
        return true;
    }

    public HeartbeatReply heartbeat(Heartbeat heartbeat) {
        return heartbeat(() -> heartbeat);
    }

    /**
     * Sends the heartbeat that {@code made} builds when no report is being sent, or nothing when it builds null.
     * Building and numbering happen under the same lock as a report's, so a heartbeat built before a report is
     * also numbered before it: the server never takes it for the newer message.
     *
     * @return the reply, or null when nothing was sent
     */
    public HeartbeatReply heartbeat(Supplier<Heartbeat> made) {
        synchronized (exchange) {
            Heartbeat heartbeat = made.get();
            if (heartbeat == null) {
                return null;
            }
            Heartbeat ordered = heartbeat.ordered(next());
            return authenticated(token -> client.heartbeat(identity.uuid(), ordered, token));
        }
    }

    public UpdateCheck check() {
        return authenticated(token -> client.check(identity.uuid(), token));
    }

    /** The long poll from {@code cursor} (the last check's push_cursor); see {@link ServerClient#waitForChange}. */
    public DeviceWake waitForChange(String cursor) {
        return authenticated(token -> client.waitForChange(identity.uuid(), cursor, token));
    }

    /** Ends a held {@link #waitForChange} at once, from any thread. */
    public void cancelWait() {
        client.cancelWait();
    }

    public DeviceUpdateView report(UUID updateId, StatusReport report) {
        synchronized (exchange) {
            StatusReport ordered = report.ordered(next());
            return authenticated(token -> client.report(updateId, ordered, token));
        }
    }

    /**
     * The next place in this run's order, taken when a message is sent: a report kept in the outbox through a
     * restart is ordered where it is finally sent. A retry (after a 401) keeps its place.
     */
    private MessageOrder next() {
        return new MessageOrder(runId, sent.incrementAndGet());
    }

    public long download(String packageUrl, String sha256, long expectedSize, Path part, LongConsumer progress) {
        return authenticated(token -> client.download(packageUrl, sha256, expectedSize, part, token, progress));
    }

    /** How many calls of this run the server answered with a 2xx (heartbeats, checks, reports, downloads). */
    public long answered() {
        return answered.get();
    }

    private <T> T authenticated(Function<String, T> call) {
        String token = identity.token().orElseGet(this::registerUnlessRegistered);
        T result;
        try {
            result = call.apply(token);
        } catch (ServerRejectedException e) {
            if (!e.unauthorized()) {
                throw e;
            }
            result = call.apply(replace(token, e));
        }
        answered.incrementAndGet();
        return result;
    }

    private synchronized String registerUnlessRegistered() {
        return identity.token().orElseGet(this::register);
    }

    /** A fresh token in place of {@code refused}, unless another call has already got one since. */
    private synchronized String replace(String refused, ServerRejectedException why) {
        String kept = identity.token().orElse(null);
        if (kept != null && !kept.equals(refused)) {
            return kept;
        }
        LOG.warning("device token refused (" + why.getMessage() + "); registering again");
        return register();
    }

    private String register() {
        RegisterDevice facts = registration.get();
        String uuid = identity.uuid();
        DeviceKey key = identity.key();
        // asked every time, also without a token file: a Pi that lost it but whose key is bound must prove itself
        Optional<DeviceChallenge> challenge = client.challenge(uuid);
        String proof = challenge.map(c -> key.prove(uuid, c.challenge())).orElse(null);
        RegisterDevice device = new RegisterDevice(uuid, facts.deviceName(), facts.timezone(),
                facts.currentVersion(), facts.metadata(), key.publicKeyText(),
                challenge.map(DeviceChallenge::challenge).orElse(null), proof);
        DeviceRegistration answer;
        try {
            answer = client.register(device, enrollmentKey);
        } catch (ServerRejectedException e) {
            throw refused(e, proof != null, key);
        }
        identity.saveToken(answer.deviceToken());
        LOG.info("registered device " + uuid + " (version " + device.currentVersion() + ", timezone "
                + device.timezone() + ", device key " + key.keyId() + (proof != null ? ", proved" : "") + ")");
        return answer.deviceToken();
    }

    /**
     * What the operator is told (the agent logs it, with the server's problem detail, and tries again with
     * backoff). A refused proof, or a key other than the one the server holds (409), is not mended by trying
     * again: this Pi's key file was replaced or lost, and only an operator's reset lets it bind its key.
     */
    private ServerRejectedException refused(ServerRejectedException e, boolean proved, DeviceKey key) {
        String uuid = identity.uuid();
        String reset = "if this Pi's device key was lost or replaced, an operator resets it with "
                + "'create_update.sh device reset-key " + uuid + "', and the agent binds its key (" + key.keyId()
                + ") at its next registration";
        if (e.conflict() || (proved && (e.unauthorized() || e.status() == 403))) {
            return new ServerRejectedException(e.status(), "registration " + (proved ? "with this device's proof " : "")
                    + "refused: the server holds another key for device " + uuid + " (" + e.getMessage() + "); "
                    + reset);
        }
        if (e.unauthorized() || e.status() == 403) {
            return new ServerRejectedException(e.status(), "registration refused: check API_KEY (the enrollment "
                    + "key set on the server): " + e.getMessage());
        }
        return e;
    }
}
