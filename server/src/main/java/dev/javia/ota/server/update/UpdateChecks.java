package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.DeltaOffer;
import dev.javia.ota.protocol.api.UpdateCheck;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.api.UpdateWindow;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.RollbackStatement;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.javia.ota.server.OtaProperties;
import dev.javia.ota.server.device.DeviceFields;
import dev.javia.ota.server.device.DeviceRegistry;
import dev.javia.ota.server.device.InstallWindows;
import dev.javia.ota.server.events.FleetEvent;
import dev.javia.ota.server.events.FleetEvents;
import dev.javia.ota.server.persistence.JsonColumn;
import dev.javia.ota.server.persistence.Rows;
import dev.javia.ota.server.security.Caller;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The device's update check, the second most frequent call of the fleet: one indexed query for the device's open
 * update (and, only while some phase's batches have not reached all its devices, one for the open phases that hold
 * it without having offered it the update yet); the offer itself comes from memory, since a published update hardly
 * ever changes, and so does a rollback's statement, which its rollout keeps from the transaction that made it.
 * Should either change on any instance (by hand in SQL, say), the trigger on its row (db/migration/V13) tells every
 * instance, which forgets it at once; when the listener listens again after an outage, every instance forgets them
 * all, since what changed meanwhile is unknown. Both are bounded: the updates and rollouts still offered.
 * <p>
 * A package of a newer format than the device's agent reads (one that carries an agent release, format 2, for an
 * agent before them, whose heartbeats say no {@code package_format}) is never offered: the same query reads both
 * formats, and such an update fails on that device once, with the way out in its error (UpdateProgress), which
 * counts in its rollout's failure rule like any failure. The device is then answered as if that update were not
 * there.
 * <p>
 * The offer names the delta from the device's version when one was made ({@link UpdateDeltas}): cached with the
 * offer, every delta of the update, and forgotten with it (a delta's row announces its update). A device on a version
 * with no delta, and a rollback, get the whole package only.
 */
@Component
class UpdateChecks {

    /** How many unreadable updates one check fails before it answers "nothing" (there is hardly ever more than one). */
    private static final int MAX_UNREADABLE = 3;
    /** How many offers and statements are kept: far more updates than a fleet has open at once. */
    private static final int CACHED = 1_000;

    private final JdbcClient jdbc;
    private final UpdateRepository updates;
    private final DeviceRegistry registry;
    private final int checkSeconds;
    private final InstallWindows windows;
    private final InstallTurns turns;
    private final Assignments assignments;
    private final PendingBatches batches;
    private final UpdateProgress progress;
    private final UpdateDeltas deltas;
    /** The offer of each update a device was offered, with its deltas, by update. */
    private final Cache<UUID, Offered> offers = Caffeine.newBuilder().maximumSize(CACHED).build();
    /** The statement of each rollback rollout a device was offered, by rollout (empty: made without one). */
    private final Cache<UUID, Optional<RollbackStatement.Signed>> statements =
            Caffeine.newBuilder().maximumSize(CACHED).build();

    UpdateChecks(JdbcClient jdbc, UpdateRepository updates, DeviceRegistry registry, OtaProperties properties,
            InstallWindows windows, InstallTurns turns, Assignments assignments, PendingBatches batches,
            UpdateProgress progress, FleetEvents events, UpdateDeltas deltas) {
        this.jdbc = jdbc;
        this.deltas = deltas;
        this.progress = progress;
        this.batches = batches;
        this.assignments = assignments;
        this.updates = updates;
        this.registry = registry;
        this.windows = windows;
        this.turns = turns;
        this.checkSeconds = (int) properties.checkInterval().toSeconds();
        events.follow(this::changed);
    }

    /** An update's or a rollout's row changed on some instance, or the listener listens again (all may have). */
    private void changed(FleetEvent event) {
        switch (event.kind()) {
            case UPDATE -> forget(offers, event.id());
            case ROLLOUT -> forget(statements, event.id());
            case RESYNC -> {
                offers.invalidateAll();
                statements.invalidateAll();
            }
            default -> {
                // devices and webhooks are not cached here
            }
        }
    }

    private static void forget(Cache<UUID, ?> cache, String id) {
        try {
            cache.invalidate(UUID.fromString(id));
        } catch (RuntimeException e) {
            // no id, or not a uuid (the triggers send none such): forget all rather than keep a changed one
            cache.invalidateAll();
        }
    }

    UpdateCheck check(Caller caller, String deviceUuid) {
        UUID deviceId = caller.role() == Caller.Role.DEVICE ? caller.deviceId()
                : registry.find(DeviceFields.deviceUuid(deviceUuid)).id();
        if (batches.any()) {
            // members of open phases whose batch has not come yet: offered now, then read as any offer
            List<UUID> waiting = jdbc.sql("""
                    select rd.rollout_id from rollout_devices rd join rollouts r on r.id = rd.rollout_id
                    where rd.device_id = ? and not rd.offered and rd.phase <= r.current_phase
                      and r.state = 'running' and r.max_concurrent is null
                    """).param(deviceId).query(UUID.class).list();
            if (!waiting.isEmpty()) {
                assignments.offerAtCheck(deviceId, waiting);
            }
        }
        Optional<Open> open = open(deviceId);
        // one the device already runs is not offered whatever its format (below): nothing to fail
        for (int failed = 0; open.isPresent() && !open.get().isNoUpgrade() && !open.get().readable(); failed++) {
            // an agent before agent releases would refuse the package: it fails here, once, saying what to do
            progress.failUnreadable(open.get().deviceUuid(), open.get().updateId(), open.get().packageFormat(),
                    open.get().deviceFormat());
            // the next open update, if any (a few at most: each pass fails one; an operator retrying the same one
            // meanwhile is answered "nothing" and finds it at the next check)
            open = failed < MAX_UNREADABLE ? open(deviceId) : Optional.empty();
        }
        // the state the device's wait compares with: what this check read, once the phases that hold it offered it
        String cursor = open.map(o -> DeviceWaits.cursor(o.updateId(), o.status().wire(), o.scheduledFor(), false))
                .orElseGet(() -> DeviceWaits.cursor(null, null, null, false));
        if (open.isEmpty() || open.get().isNoUpgrade()) {
            return new UpdateCheck(false, null, null, null, checkSeconds, null, cursor);
        }
        Offered cached = offers.get(open.get().updateId(), id -> new Offered(updates.findById(id).orElseThrow().offer(),
                deltas.of(id).stream().collect(Collectors.toUnmodifiableMap(UpdateDeltas.Delta::baseVersion,
                        UpdateDeltas.Delta::offer))));
        Open due = open.get();
        // a rollback goes to a lower version, from which no delta is made: the whole package
        UpdateOffer offer = due.rollback() ? cached.offer().asRollback(statement(due.rolloutId()))
                : cached.offer().withDelta(due.deviceVersion() == null ? null
                        : cached.deltas().get(due.deviceVersion()));
        NightlyWindow.Slot slot = turns.of(due.type(), due.status(), due.scheduledFor(), due.deviceUuid(),
                due.updateId(), due.timezone(), due.window());
        return new UpdateCheck(true, offer, slot.turn(), due.status(), checkSeconds, slot.windowEnds(), cursor);
    }

    /** The device's open update, newest first, with its package's format and the one the device's agent reads. */
    private Optional<Open> open(UUID deviceId) {
        return jdbc.sql("""
                select du.update_id, du.status, du.scheduled_for, u.update_type, u.version, d.device_uuid,
                       d.timezone, d.current_version, d.window_start_hour, d.window_length_minutes,
                       d.device_update_hour, du.rollback, du.rollout_id, u.package_format,
                       d.package_format as device_format
                from device_updates du join updates u on u.id = du.update_id join devices d on d.id = du.device_id
                where du.device_id = ? and du.status in ('pending', 'downloading', 'installing')
                order by u.version_major desc, u.version_minor desc, u.version_patch desc
                limit 1
                """)
                .param(deviceId)
                .query((rs, row) -> new Open(rs.getObject("update_id", UUID.class),
                        UpdateStatus.parse(rs.getString("status")), rs.getTimestamp("scheduled_for").toInstant(),
                        UpdateType.parse(rs.getString("update_type")), Version.parse(rs.getString("version")),
                        rs.getString("device_uuid"), rs.getString("timezone"), rs.getString("current_version"),
                        windows.inForce(Rows.integer(rs, "window_start_hour"),
                                Rows.integer(rs, "window_length_minutes"), Rows.integer(rs, "device_update_hour")),
                        rs.getBoolean("rollback"), rs.getObject("rollout_id", UUID.class), rs.getInt("package_format"),
                        Rows.integer(rs, "device_format")))
                .optional();
    }

    /** The publisher's statement of the rollback rollout that made this offer: its own, never another's. */
    private RollbackStatement.Signed statement(UUID rolloutId) {
        if (rolloutId == null) {
            return null;
        }
        return statements.get(rolloutId, id -> jdbc.sql(
                        "select rollback_statement from rollouts where id = ?").param(id).query(String.class).optional()
                .map(json -> JsonColumn.read(json, RollbackStatement.Signed.class))).orElse(null);
    }

    /** An update's offer, and its deltas by base version: the one for the device's version goes with the offer. */
    private record Offered(UpdateOffer offer, Map<String, DeltaOffer> deltas) {
    }

    private record Open(UUID updateId, UpdateStatus status, Instant scheduledFor, UpdateType type, Version version,
            String deviceUuid, String timezone, String deviceVersion, UpdateWindow window, boolean rollback,
            UUID rolloutId, int packageFormat, Integer deviceFormat) {

        /** Whether the device's agent reads the package's format; one that says none reads format 1 only. */
        boolean readable() {
            return packageFormat <= (deviceFormat == null ? 1 : deviceFormat);
        }

        /**
         * The device already runs this version or a newer one (its version was changed where no scheduler saw it,
         * e.g. by SQL): offering it would be a downgrade, unless it is the operator's rollback, which is not offered
         * only to a device already on its version. A device version that does not parse is offered the update as
         * before: there is nothing to compare it with.
         */
        boolean isNoUpgrade() {
            return Version.tryParse(deviceVersion)
                    .filter(running -> rollback ? running.equals(version) : running.compareTo(version) >= 0)
                    .isPresent();
        }
    }
}
