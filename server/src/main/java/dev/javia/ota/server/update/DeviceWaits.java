package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.DeviceWake;
import dev.javia.ota.server.device.DeviceFields;
import dev.javia.ota.server.device.DeviceRegistry;
import dev.javia.ota.server.events.FleetEvent;
import dev.javia.ota.server.events.FleetEvents;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.async.DeferredResult;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * The devices' long polls on this instance ({@code GET /api/v1/devices/{uuid}/wait?cursor=}): push on top of
 * polling. A wait is answered {@code check_now} as soon as what the server offers the device differs from the
 * cursor its last check gave ({@link #cursor}); the device then runs its normal check, so no offer rule is repeated
 * here. A wait costs no thread (a {@link DeferredResult}); this instance holds at most
 * {@link PushSettings#maxWaits}, one per device (a second replaces the first), each for {@link PushSettings#hold}.
 * <p>
 * Waits are woken by the fleet's events ({@link FleetEvents}, from every instance): {@code device:UUID} (a row of the
 * device's updates written: a publish to it, an install-now, a phase offered to it, a pause or a resume) looks at
 * that device only; {@code rollout:ID} at the held devices that are members of that rollout (a phase opened or the
 * rollout resumed: members not yet offered are offered at their check); {@code fleet} (a write touching more than 50
 * devices) and a resync at every held device. Events are gathered and looked at
 * every {@link #SWEEP_MILLIS} on one thread, with one set-based query per sweep, so that a burst of reports costs one
 * query, not one per device, and the triggers send no notification per device for a large write.
 */
@Component
public final class DeviceWaits implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DeviceWaits.class);
    static final long SWEEP_MILLIS = 100;
    /** Devices looked at by one query. */
    private static final int CHUNK = 2_000;
    private static final Pattern CURSOR = Pattern.compile("[0-9a-f]{16}");
    private static final String RETRY_AFTER_SECONDS = "60";

    private static final String STATE = """
            select d.id, o.update_id, o.status, o.scheduled_for,
                   (?::boolean and exists (
                       select 1 from rollout_devices rd join rollouts r on r.id = rd.rollout_id
                       where rd.device_id = d.id and not rd.offered and rd.phase <= r.current_phase
                         and r.state = 'running' and r.max_concurrent is null)) as waiting
            from unnest(?::uuid[]) as d(id)
            left join lateral (
                select du.update_id, du.status, du.scheduled_for
                from device_updates du join updates u on u.id = du.update_id
                where du.device_id = d.id and du.status in ('pending', 'downloading', 'installing')
                order by u.version_major desc, u.version_minor desc, u.version_patch desc
                limit 1) o on true
            where ?::uuid[] is null
               or d.id in (select rd.device_id from rollout_devices rd where rd.rollout_id = any(?::uuid[]))
            """;

    private final JdbcClient jdbc;
    private final DeviceRegistry registry;
    private final FleetEvents events;
    private final PendingBatches batches;
    private final PushSettings settings;
    /** By device id: at most one per device. */
    private final Map<UUID, Held> held = new ConcurrentHashMap<>();
    /** Device uuids (lower case) of the held waits, for the events, which name devices by uuid. */
    private final Map<String, UUID> byUuid = new ConcurrentHashMap<>();
    private final Set<UUID> dirtyDevices = ConcurrentHashMap.newKeySet();
    private final Set<UUID> dirtyRollouts = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean dirtyAll = new AtomicBoolean();
    private ScheduledExecutorService sweeper;
    private AutoCloseable following;
    private volatile boolean running;

    DeviceWaits(JdbcClient jdbc, DeviceRegistry registry, FleetEvents events, PendingBatches batches,
            PushSettings settings) {
        this.jdbc = jdbc;
        this.registry = registry;
        this.events = events;
        this.batches = batches;
        this.settings = settings;
    }

    /**
     * The cursor of what the server offers a device: its open update that the check reads (which, its status and
     * when it is due), or none; and whether it is a member of an open phase not offered to it yet (its check offers
     * it). The check and the wait compute it alike, from the same columns.
     */
    static String cursor(UUID updateId, String status, Instant scheduledFor, boolean waiting) {
        String state = updateId == null ? "none" : updateId + "|" + status + "|" + scheduledFor;
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest((state + "|" + waiting).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    /**
     * A wait of {@code deviceUuid} (the caller's own device, or any for an admin key) from {@code cursor}: answered
     * at once when the device's state differs from it, else held.
     */
    DeferredResult<DeviceWake> open(Caller caller, String deviceUuid, String cursor) {
        if (cursor == null || !CURSOR.matcher(cursor.strip().toLowerCase(Locale.ROOT)).matches()) {
            throw ApiException.badRequest("cursor must be the push_cursor of the device's last update check"
                    + " (16 hexadecimal characters), e.g. ?cursor=9c1d2e3f4a5b6c7d");
        }
        String from = cursor.strip().toLowerCase(Locale.ROOT);
        UUID deviceId;
        String uuid;
        if (caller.role() == Caller.Role.DEVICE) {
            caller.requireDeviceOrAdmin(deviceUuid);
            deviceId = caller.deviceId();
            uuid = caller.deviceUuid().toLowerCase(Locale.ROOT);
        } else {
            uuid = DeviceFields.deviceUuid(deviceUuid).toLowerCase(Locale.ROOT);
            deviceId = registry.find(uuid).id();
        }
        if (!running) {
            throw unavailable("this server instance is stopping: check for updates as usual, and wait again later");
        }
        DeferredResult<DeviceWake> result = new DeferredResult<>(settings.hold().toMillis());
        Held wait = new Held(deviceId, uuid, from, result);
        Held replaced = held.put(deviceId, wait);
        if (replaced == null && held.size() > settings.maxWaits()) {
            held.remove(deviceId, wait);
            throw unavailable("this server instance holds " + settings.maxWaits() + " waits, its most"
                    + " (ota.push.max-waits): check for updates as usual, and wait again later");
        }
        byUuid.put(uuid, deviceId);
        if (replaced != null) {
            // one wait per device: the older one (its connection most likely gone) ends with nothing to do
            replaced.result.setResult(new DeviceWake(false, replaced.cursor, 0));
        }
        result.onTimeout(() -> result.setResult(new DeviceWake(false, from, 0)));
        result.onCompletion(() -> forget(wait));
        result.onError(error -> forget(wait));
        // held first, then looked at: a change committed between the check and now is seen here, one committed
        // from now on is heard
        dirtyDevices.add(deviceId);
        return result;
    }

    /** How many waits this instance holds now (for the tests and the bench). */
    public int held() {
        return held.size();
    }

    private void forget(Held wait) {
        if (held.remove(wait.deviceId, wait)) {
            byUuid.remove(wait.uuid, wait.deviceId);
        }
    }

    private static ApiException unavailable(String detail) {
        ApiException refusal = new ApiException(HttpStatus.SERVICE_UNAVAILABLE, detail);
        refusal.getHeaders().set(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        return refusal;
    }

    private void heard(FleetEvent event) {
        switch (event.kind()) {
            case DEVICE -> {
                UUID deviceId = event.id() == null ? null : byUuid.get(event.id().toLowerCase(Locale.ROOT));
                if (deviceId != null) {
                    dirtyDevices.add(deviceId);
                }
            }
            case ROLLOUT -> {
                if (event.id() != null && !held.isEmpty()) {
                    try {
                        dirtyRollouts.add(UUID.fromString(event.id()));
                    } catch (IllegalArgumentException e) {
                        dirtyAll.set(true);
                    }
                }
            }
            case FLEET, RESYNC -> dirtyAll.set(true);
            default -> {
                // an update's own row, audit, webhooks: nothing a device is offered (a publish offers through its
                // device_updates rows, or opens its rollout's phase); a lost listener: the devices still poll
            }
        }
    }

    /** Looks at the devices whose state may have changed, and answers the waits whose cursor it no longer is. */
    private void sweep() {
        try {
            if (held.isEmpty()) {
                dirtyAll.set(false);
                dirtyDevices.clear();
                dirtyRollouts.clear();
                return;
            }
            if (dirtyAll.getAndSet(false)) {
                dirtyDevices.clear();
                dirtyRollouts.clear();
                look(new ArrayList<>(held.keySet()), null);
                return;
            }
            if (!dirtyRollouts.isEmpty()) {
                List<UUID> rollouts = drain(dirtyRollouts);
                look(new ArrayList<>(held.keySet()), rollouts.toArray(UUID[]::new));
            }
            if (!dirtyDevices.isEmpty()) {
                look(drain(dirtyDevices), null);
            }
        } catch (RuntimeException e) {
            // the database may be down: the waits end at their hold, and the devices poll as before
            log.warn("could not look at the devices' waits: {}", e.getMessage());
        }
    }

    private static List<UUID> drain(Set<UUID> set) {
        List<UUID> drained = new ArrayList<>(set);
        set.removeAll(drained);
        return drained;
    }

    private void look(List<UUID> devices, UUID[] rollouts) {
        boolean anyBatches = batches.any();
        for (int from = 0; from < devices.size(); from += CHUNK) {
            UUID[] chunk = devices.subList(from, Math.min(devices.size(), from + CHUNK)).toArray(UUID[]::new);
            Map<UUID, String> now = new HashMap<>();
            jdbc.sql(STATE).param(anyBatches).param(chunk).param(rollouts).param(rollouts).query(rs -> {
                Timestamp due = rs.getTimestamp("scheduled_for");
                now.put(rs.getObject("id", UUID.class), cursor(rs.getObject("update_id", UUID.class),
                        rs.getString("status"), due == null ? null : due.toInstant(), rs.getBoolean("waiting")));
            });
            now.forEach((deviceId, cursor) -> {
                Held wait = held.get(deviceId);
                if (wait != null && !wait.cursor.equals(cursor)) {
                    wait.result.setResult(new DeviceWake(true, cursor, 0));
                }
            });
        }
    }

    @Override
    public synchronized void start() {
        sweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "device-waits");
            thread.setDaemon(true);
            return thread;
        });
        following = events.follow(this::heard);
        sweeper.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        running = true;
    }

    @Override
    public synchronized void stop() {
        running = false;
        try {
            following.close();
        } catch (Exception e) {
            log.debug("could not stop following fleet events", e);
        }
        sweeper.shutdownNow();
        // each device checks as usual and waits again, on this instance once it is back or on another
        held.values().forEach(wait -> wait.result.setResult(new DeviceWake(false, wait.cursor, 0)));
        held.clear();
        byUuid.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private record Held(UUID deviceId, String uuid, String cursor, DeferredResult<DeviceWake> result) {
    }
}
