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

    private <T> T authenticated(Function<String, T> call) {
        String token = identity.token().orElseGet(this::registerUnlessRegistered);
        try {
            return call.apply(token);
        } catch (ServerRejectedException e) {
            if (!e.unauthorized()) {
                throw e;
            }
            return call.apply(replace(token, e));
        }
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
        LOG.warning("device token refused (" + why.getMessage() + "); registering again with the enrollment key");
        return register();
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
