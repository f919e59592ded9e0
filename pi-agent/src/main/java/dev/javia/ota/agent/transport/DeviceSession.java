package dev.javia.ota.agent.transport;

import dev.javia.ota.agent.identity.DeviceIdentity;
import dev.javia.ota.protocol.api.DeviceRegistration;
import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.HeartbeatReply;
import dev.javia.ota.protocol.api.MessageOrder;
import dev.javia.ota.protocol.api.RegisterDevice;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateCheck;

import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The device's calls with its token attached. Registers when there is no token yet, and once more when the server
 * answers 401 (the token was lost on the server or replaced): same UUID, enrollment key, fresh token.
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
    public boolean ensureRegistered() {
        if (identity.token().isPresent()) {
            return false;
        }
        register();
        return true;
    }

    public HeartbeatReply heartbeat(Heartbeat heartbeat) {
        Heartbeat ordered = heartbeat.ordered(next());
        return authenticated(token -> client.heartbeat(identity.uuid(), ordered, token));
    }

    public UpdateCheck check() {
        return authenticated(token -> client.check(identity.uuid(), token));
    }

    public DeviceUpdateView report(UUID updateId, StatusReport report) {
        StatusReport ordered = report.ordered(next());
        return authenticated(token -> client.report(updateId, ordered, token));
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

    private <T> T authenticated(Function<String, T> call) {
        String token = identity.token().orElseGet(this::register);
        try {
            return call.apply(token);
        } catch (ServerRejectedException e) {
            if (!e.unauthorized()) {
                throw e;
            }
            LOG.warning("device token refused (" + e.getMessage() + "); registering again with the enrollment key");
            return call.apply(register());
        }
    }

    private String register() {
        RegisterDevice device = registration.get();
        DeviceRegistration answer;
        try {
            answer = client.register(device, enrollmentKey);
        } catch (ServerRejectedException e) {
            if (e.unauthorized() || e.status() == 403) {
                throw new ServerRejectedException(e.status(), "registration refused: check API_KEY (the enrollment "
                        + "key set on the server): " + e.getMessage());
            }
            throw e;
        }
        identity.saveToken(answer.deviceToken());
        LOG.info("registered device " + identity.uuid() + " (version " + device.currentVersion() + ", timezone "
                + device.timezone() + ")");
        return answer.deviceToken();
    }
}
