package dev.javia.ota.server.update;

import com.github.f4b6a3.uuid.UuidCreator;
import dev.javia.ota.protocol.api.RolloutKind;
import dev.javia.ota.protocol.api.RolloutPage;
import dev.javia.ota.protocol.api.RolloutPhaseView;
import dev.javia.ota.protocol.api.RolloutRules;
import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutTarget;
import dev.javia.ota.protocol.api.RolloutView;
import dev.javia.ota.protocol.api.DeliveryTotals;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.RollbackStatement;
import dev.javia.ota.protocol.trust.UntrustedException;
import dev.javia.ota.server.audit.AuditLog;
import dev.javia.ota.server.notify.Notifications;
import dev.javia.ota.server.persistence.JsonColumn;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Rollouts: their creation (the devices of the target, spread over phases), the operator's actions and the
 * reconciler's, and how they read. Every change locks the rollout's row first, so an operator's action and the
 * reconciler's tick never interleave on one rollout; every change is in the audit log, and the ones an operator
 * wants to hear of are queued for the webhooks, in the same transaction.
 */
@Service
class Rollouts {

    private static final Logger log = LoggerFactory.getLogger(Rollouts.class);

    private final JdbcClient jdbc;
    private final Clock clock;
    private final Assignments assignments;
    private final PhaseTally tally;
    private final AuditLog audit;
    private final Notifications notifications;
    private final boolean approverMustDiffer;
    private final PublisherTrust trust;
    private final Deliveries deliveries;

    Rollouts(JdbcClient jdbc, Clock clock, Assignments assignments, PhaseTally tally, AuditLog audit,
            Notifications notifications, RolloutSettings settings, PublisherTrust trust, Deliveries deliveries) {
        this.trust = trust;
        this.deliveries = deliveries;
        this.jdbc = jdbc;
        this.clock = clock;
        this.assignments = assignments;
        this.tally = tally;
        this.audit = audit;
        this.notifications = notifications;
        this.approverMustDiffer = settings.approverMustDiffer();
    }

    /** Who did it: an operator's request, or the reconciler (null caller). */
    record Actor(Caller caller) {
        static final Actor SYSTEM = new Actor(null);

        String name() {
            return caller == null ? AuditLog.SYSTEM : caller.name();
        }
    }

    /** A new rollout and how many devices its first phase was offered to right away. */
    record Created(RolloutRow rollout, int offered) {
    }

    /**
     * Creates the rollout of a just-published update (or of a rollback) and, unless it waits for approval or its
     * start time, opens its first phase. The target's devices that need the update are ranked by a hash of rollout
     * and device within their timezone, and then across timezones by their place within their own, so that each
     * phase holds every timezone in proportion and a one-device canary comes from the largest.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    Created create(UUID updateId, String version, RolloutKind kind, RolloutPlan plan, Actor actor, UUID rollbackOf) {
        return create(updateId, version, kind, plan, actor, rollbackOf, kind == RolloutKind.ROLLBACK);
    }

    /**
     * A new release rollout of an update already published ({@code POST /api/v1/rollouts}, the dashboard's scheduling
     * form): refused for an update that is not published, and for one with a rollout that has not ended, whose
     * devices the new one would take over; the update's row is locked so that two such requests do not both pass.
     */
    @Transactional
    Created release(String versionText, RolloutPlan plan, Actor actor) {
        if (versionText == null || versionText.isBlank()) {
            throw ApiException.badRequest("version is required: the published version to roll out, e.g. v1.2.3"
                    + " (see GET /api/v1/updates/)");
        }
        String version;
        try {
            version = Version.parse(versionText.trim()).toString();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("version: " + e.getMessage());
        }
        UUID updateId = jdbc.sql("select id from updates where version = ? for update").param(version)
                .query(UUID.class).optional()
                .orElseThrow(() -> ApiException.notFound("version " + version + " is not published: publish it"
                        + " first (POST /api/v1/updates/create, or upload its package on the dashboard)"));
        jdbc.sql("""
                select r.id, r.state from rollouts r where r.update_id = ?
                  and r.state in ('awaiting_approval', 'scheduled', 'running', 'paused')
                order by r.created_at desc limit 1
                """).param(updateId)
                .query((rs, row) -> new Object[] {rs.getObject("id", UUID.class), rs.getString("state")})
                .optional().ifPresent(open -> {
                    throw ApiException.conflict("version " + version + " already has a rollout that is "
                            + String.valueOf(open[1]).replace('_', ' ') + " (" + open[0] + "): let it finish, or"
                            + " cancel it (POST /api/v1/rollouts/" + open[0] + "/cancel) before starting another");
                });
        checkTargetsExist(plan.target().deviceUuids());
        return create(updateId, version, RolloutKind.RELEASE, plan, actor, null, true);
    }

    /** Refuses a target that names devices that are not registered. */
    void checkTargetsExist(List<String> targets) {
        if (targets == null) {
            return;
        }
        List<String> known = jdbc.sql("select device_uuid from devices where device_uuid = any(?::text[])")
                .param(targets.toArray(String[]::new)).query(String.class).list();
        List<String> unknown = targets.stream().filter(uuid -> !known.contains(uuid)).toList();
        if (!unknown.isEmpty()) {
            throw ApiException.badRequest("target_devices names devices that are not registered: "
                    + String.join(", ", unknown) + " (see GET /api/v1/devices/)");
        }
    }

    private Created create(UUID updateId, String version, RolloutKind kind, RolloutPlan plan, Actor actor,
            UUID rollbackOf, boolean recordCreated) {
        Instant now = clock.instant();
        UUID id = UuidCreator.getTimeOrderedEpoch();
        // a rollback's devices are those on the bad version or installing it: its target says which version that is
        RolloutTargets.Condition target = RolloutTargets.where(kind == RolloutKind.ROLLBACK ? RolloutTarget.EVERYONE
                : plan.target());
        String members = kind == RolloutKind.ROLLBACK ? """
                (d.current_version is not distinct from ? or exists (
                    select 1 from device_updates o join rollouts b on b.id = o.rollout_id
                    where o.device_id = d.id and b.id = ? and o.status in ('downloading', 'installing')))
                """ : """
                d.current_version is distinct from ?
                and (ota_version_key(d.current_version) is null or ota_version_key(d.current_version) < ?::integer[])
                """;
        Object[] memberParams = kind == RolloutKind.ROLLBACK
                ? new Object[] {plan.target().version(), rollbackOf}
                : new Object[] {version, versionKey(version)};
        var count = jdbc.sql("select count(*) from devices d where " + target.sql() + " and " + members);
        for (Object param : target.params()) {
            count = count.param(param);
        }
        for (Object param : memberParams) {
            count = count.param(param);
        }
        long devices = count.query(Long.class).single();
        List<Long> cumulative = plan.cumulative(devices);
        List<RolloutRow.Phase> phases = new ArrayList<>();
        for (int i = 0; i < plan.phases().size(); i++) {
            phases.add(new RolloutRow.Phase(plan.phases().get(i), cumulative.get(i)));
        }
        RolloutRules rules = plan.rules();
        RolloutState state = rules.requireApproval() ? RolloutState.AWAITING_APPROVAL
                : plan.startAt() != null && plan.startAt().isAfter(now) ? RolloutState.SCHEDULED
                : RolloutState.RUNNING;
        jdbc.sql("""
                insert into rollouts (id, update_id, kind, state, target, phases, current_phase, phase_started_at,
                    judged_since, soak_seconds, success_threshold, min_finished, failure_threshold, min_sample,
                    install_timeout_seconds, max_concurrent, auto_rollback, require_approval, start_at, created_by,
                    created_at, rollback_of, updated_at)
                values (?, ?, ?, ?, ?::jsonb, ?::jsonb, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
                .param(id).param(updateId).param(kind.wire()).param(state.wire())
                .param(plan.target().isEveryone() ? null : JsonColumn.write(plan.target()))
                .param(JsonColumn.write(phases))
                .param(state == RolloutState.RUNNING ? Timestamp.from(now) : null)
                .param(state == RolloutState.RUNNING ? Timestamp.from(now) : null)
                .param(rules.soakSeconds()).param(rules.successThreshold()).param(rules.minFinished())
                .param(rules.failureThreshold()).param(rules.minSample()).param(rules.installTimeoutSeconds())
                .param(rules.maxConcurrent()).param(rules.autoRollback()).param(rules.requireApproval())
                .param(plan.startAt() == null ? null : Timestamp.from(plan.startAt())).param(actor.name())
                .param(Timestamp.from(now)).param(rollbackOf).param(Timestamp.from(now))
                .update();
        // the lower bounds of phases 1..n-1 by rank, and a bound no rank reaches: width_bucket gives the phase
        Long[] bounds = new Long[cumulative.size()];
        for (int i = 0; i < cumulative.size() - 1; i++) {
            bounds[i] = cumulative.get(i) + 1;
        }
        bounds[cumulative.size() - 1] = Long.MAX_VALUE;
        var insert = jdbc.sql("""
                insert into rollout_devices (rollout_id, device_id, phase, offered)
                select ?, ranked.id, width_bucket(ranked.rank, ?::bigint[]), false
                from (
                    select spread.id, row_number() over (order by spread.place, spread.hash) as rank
                    from (
                        select d.id, md5(?::text || d.device_uuid) as hash,
                               (row_number() over (partition by d.timezone order by md5(?::text || d.device_uuid))
                                - 0.5) / count(*) over (partition by d.timezone) as place
                        from devices d where %s and %s
                    ) spread
                ) ranked
                """.formatted(target.sql(), members))
                .param(id).param(bounds).param(id.toString()).param(id.toString());
        for (Object param : target.params()) {
            insert = insert.param(param);
        }
        for (Object param : memberParams) {
            insert = insert.param(param);
        }
        insert.update();
        RolloutRow rollout = locked(id);
        int offered = state == RolloutState.RUNNING ? assignments.offer(rollout, rules.maxConcurrent(), null) : 0;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("version", version);
        details.put("kind", kind.wire());
        details.put("state", state.wire());
        details.put("phases", plan.phases());
        details.put("devices", devices);
        details.put("rules", rules);
        details.put("target", plan.target());
        if (recordCreated) {
            // a published release's rollout is part of its publishing, which the publisher records
            record(actor, "rollout.created", rollout, details);
        }
        if (state == RolloutState.AWAITING_APPROVAL) {
            notifications.publish(Notifications.Events.APPROVAL_REQUESTED, "Rollout of " + version + " to " + devices
                    + " devices waits for approval by an admin other than " + actor.name() + ".", facts(rollout));
        }
        log.info("created rollout id={} version={} kind={} state={} devices={} phases={} offered={}", id, version,
                kind.wire(), state.wire(), devices, plan.phases(), offered);
        return new Created(rollout, offered);
    }

    // ---- the operator's actions, and the reconciler's

    @Transactional
    RolloutRow approve(UUID id, Actor actor) {
        RolloutRow rollout = locked(id);
        require(rollout, "approved", RolloutState.AWAITING_APPROVAL);
        if (approverMustDiffer && rollout.createdBy().equals(actor.name())) {
            throw ApiException.forbidden("the rollout was created by '" + rollout.createdBy() + "': another admin"
                    + " key must approve it (name each admin's key in OTA_ADMIN_API_KEY as name:key)");
        }
        Instant now = clock.instant();
        jdbc.sql("update rollouts set approved_by = ?, approved_at = ?, updated_at = ? where id = ?")
                .param(actor.name()).param(Timestamp.from(now)).param(Timestamp.from(now)).param(id).update();
        record(actor, "rollout.approved", rollout, Map.of());
        if (rollout.startAt() != null && rollout.startAt().isAfter(now)) {
            setState(id, RolloutState.SCHEDULED, now);
            return locked(id);
        }
        return run(id, now);
    }

    /** Starts the rollout at {@code at} (null or past: now); one awaiting approval keeps waiting for it. */
    @Transactional
    RolloutRow start(UUID id, Instant at, Actor actor) {
        RolloutRow rollout = locked(id);
        require(rollout, "started", RolloutState.SCHEDULED, RolloutState.AWAITING_APPROVAL);
        Instant now = clock.instant();
        jdbc.sql("update rollouts set start_at = ?, updated_at = ? where id = ?")
                .param(at == null ? null : Timestamp.from(at)).param(Timestamp.from(now)).param(id).update();
        record(actor, "rollout.start_set", rollout, Map.of("at", at == null ? "now" : at.toString()));
        if (rollout.state() == RolloutState.SCHEDULED && (at == null || !at.isAfter(now))) {
            return run(id, now);
        }
        return locked(id);
    }

    /** Starts a scheduled rollout whose time has come (the reconciler). */
    @Transactional(propagation = Propagation.MANDATORY)
    void startDue(RolloutRow rollout, Instant now) {
        record(Actor.SYSTEM, "rollout.started", rollout, Map.of("start_at", String.valueOf(rollout.startAt())));
        run(rollout.id(), now);
    }

    @Transactional
    RolloutRow pause(UUID id, String reason, Actor actor) {
        RolloutRow rollout = locked(id);
        require(rollout, "paused", RolloutState.RUNNING, RolloutState.SCHEDULED);
        pauseLocked(rollout, reason == null || reason.isBlank() ? "paused by " + actor.name()
                : reason.trim() + " (" + actor.name() + ")", actor);
        return locked(id);
    }

    /** Pauses a rollout whose row this transaction holds: nothing new starts, devices already installing finish. */
    @Transactional(propagation = Propagation.MANDATORY)
    void pauseLocked(RolloutRow rollout, String reason, Actor actor) {
        Instant now = clock.instant();
        int withdrawn = withdraw(rollout, false);
        jdbc.sql("update rollouts set state = 'paused', paused_reason = ?, updated_at = ? where id = ?")
                .param(reason).param(Timestamp.from(now)).param(rollout.id()).update();
        record(actor, "rollout.paused", rollout, Map.of("reason", reason, "withdrawn", withdrawn));
        Map<String, Object> data = facts(rollout);
        data.put("reason", reason);
        notifications.publish(Notifications.Events.ROLLOUT_PAUSED, "Rollout of " + rollout.version() + " paused in"
                + " phase " + (rollout.currentPhase() + 1) + ": " + reason + ".", data);
        log.info("paused rollout id={} version={} phase={} withdrawn={} reason=\"{}\"", rollout.id(),
                rollout.version(), rollout.currentPhase(), withdrawn, reason);
    }

    @Transactional
    RolloutRow resume(UUID id, Actor actor) {
        RolloutRow rollout = locked(id);
        require(rollout, "resumed", RolloutState.PAUSED);
        Instant now = clock.instant();
        // what failed before the resume was seen by the operator who resumed: the rule judges what comes after
        jdbc.sql("""
                update rollouts set state = 'running', paused_reason = null, judged_since = ?, updated_at = ?
                where id = ?
                """).param(Timestamp.from(now)).param(Timestamp.from(now)).param(id).update();
        record(actor, "rollout.resumed", rollout, Map.of("paused_reason", String.valueOf(rollout.pausedReason())));
        RolloutRow running = locked(id);
        assignments.offer(running, capacity(running), null);
        return locked(id);
    }

    @Transactional
    RolloutRow advance(UUID id, Actor actor) {
        RolloutRow rollout = locked(id);
        require(rollout, "advanced", RolloutState.RUNNING);
        advanceLocked(rollout, "advanced by " + actor.name(), actor);
        return locked(id);
    }

    /** Opens the next phase, or finishes the rollout after its last. */
    @Transactional(propagation = Propagation.MANDATORY)
    void advanceLocked(RolloutRow rollout, String why, Actor actor) {
        Instant now = clock.instant();
        if (rollout.isLastPhase()) {
            jdbc.sql("update rollouts set state = 'finished', finished_at = ?, updated_at = ? where id = ?")
                    .param(Timestamp.from(now)).param(Timestamp.from(now)).param(rollout.id()).update();
            record(actor, "rollout.finished", rollout, Map.of("why", why));
            notifications.publish(Notifications.Events.ROLLOUT_FINISHED, "Rollout of " + rollout.version()
                    + " finished: " + why + ".", facts(rollout));
            log.info("finished rollout id={} version={} why=\"{}\"", rollout.id(), rollout.version(), why);
            return;
        }
        int next = rollout.currentPhase() + 1;
        jdbc.sql("""
                update rollouts set current_phase = ?, phase_started_at = ?, judged_since = ?, updated_at = ?
                where id = ?
                """).param(next).param(Timestamp.from(now)).param(Timestamp.from(now)).param(Timestamp.from(now))
                .param(rollout.id()).update();
        record(actor, "rollout.phase_advanced", rollout, Map.of("phase", next, "why", why));
        RolloutRow advanced = locked(rollout.id());
        int offered = assignments.offer(advanced, capacity(advanced), null);
        long waiting = jdbc.sql("""
                select count(*) from rollout_devices where rollout_id = ? and not offered and phase <= ?
                """).param(rollout.id()).param(next).query(Long.class).single();
        Map<String, Object> data = facts(advanced);
        data.put("offered", offered);
        data.put("waiting", waiting);
        String rest = waiting == 0 ? "" : " (" + waiting + " more at their next check or in the next ticks' batches)";
        notifications.publish(Notifications.Events.PHASE_ADVANCED, "Rollout of " + rollout.version()
                + " advanced to phase " + (next + 1) + " (" + rollout.phases().get(next).size() + "): offered to "
                + offered + " more devices" + rest + "; " + why + ".", data);
        log.info("advanced rollout id={} version={} phase={} offered={} waiting={} why=\"{}\"", rollout.id(),
                rollout.version(), next, offered, waiting, why);
    }

    @Transactional
    RolloutRow cancel(UUID id, String reason, Actor actor) {
        RolloutRow rollout = locked(id);
        require(rollout, "cancelled", RolloutState.AWAITING_APPROVAL, RolloutState.SCHEDULED, RolloutState.RUNNING,
                RolloutState.PAUSED);
        cancelLocked(rollout, reason == null || reason.isBlank() ? "cancelled by " + actor.name()
                : reason.trim() + " (" + actor.name() + ")", actor);
        return locked(id);
    }

    private void cancelLocked(RolloutRow rollout, String reason, Actor actor) {
        Instant now = clock.instant();
        int withdrawn = withdraw(rollout, true);
        jdbc.sql("""
                update rollouts set state = 'cancelled', paused_reason = null, finished_at = ?, updated_at = ?
                where id = ?
                """).param(Timestamp.from(now)).param(Timestamp.from(now)).param(rollout.id()).update();
        record(actor, "rollout.cancelled", rollout, Map.of("reason", reason, "withdrawn", withdrawn));
        Map<String, Object> data = facts(rollout);
        data.put("reason", reason);
        data.put("withdrawn", withdrawn);
        notifications.publish(Notifications.Events.ROLLOUT_CANCELLED, "Rollout of " + rollout.version()
                + " cancelled: " + reason + ". " + withdrawn + " devices that had not started will not install it;"
                + " devices already installing finish.", data);
        log.info("cancelled rollout id={} version={} withdrawn={} reason=\"{}\"", rollout.id(), rollout.version(),
                withdrawn, reason);
    }

    /** The rollout's failed devices are offered the update again. */
    @Transactional
    RolloutRow retryFailed(UUID id, Actor actor) {
        RolloutRow rollout = locked(id);
        require(rollout, "retried", RolloutState.RUNNING, RolloutState.PAUSED, RolloutState.FINISHED);
        Instant now = clock.instant();
        List<UUID> failed = jdbc.sql("""
                update device_updates set status = 'superseded', updated_at = ?
                where rollout_id = ? and status = 'failed' returning device_id
                """).param(Timestamp.from(now)).param(id).query(UUID.class).list();
        if (failed.isEmpty()) {
            throw ApiException.conflict("no device of this rollout has failed: there is nothing to retry");
        }
        jdbc.sql("update rollout_devices set offered = false where rollout_id = ? and device_id = any(?::uuid[])")
                .param(id).param(failed.toArray(UUID[]::new)).update();
        record(actor, "rollout.retried_failed", rollout, Map.of("devices", failed.size()));
        if (rollout.state() != RolloutState.PAUSED) {
            RolloutRow open = rollout.state() == RolloutState.FINISHED
                    ? rollout.atPhase(rollout.phases().size() - 1) : rollout;
            assignments.offer(open, capacity(open), null);
        }
        log.info("retrying failed devices rollout={} version={} devices={}", id, rollout.version(), failed.size());
        return locked(id);
    }

    /**
     * Rolls a release back: it is cancelled (if it still runs), and a rollback rollout offers an earlier published
     * version to every device that runs the bad one or is installing it, at once. The only way a device is offered
     * a version below the one it runs. With publisher keys it takes the publisher's signed statement for this very
     * rollback ({@link #checkStatement}), which every offer of the rollback carries to the agents.
     */
    @Transactional
    RolloutRow rollback(UUID id, String toVersion, String reason, RollbackStatement.Signed statement, Actor actor) {
        RolloutRow rollout = locked(id);
        if (rollout.isRollback()) {
            throw ApiException.conflict("this rollout is itself a rollback: publish a fixed version instead, or roll"
                    + " back the release it undid again with a new rollout");
        }
        if (rollout.rolledBackBy() != null) {
            throw ApiException.conflict("this rollout was already rolled back by rollout " + rollout.rolledBackBy());
        }
        return rollbackLocked(rollout, toVersion, reason, statement, actor);
    }

    @Transactional(propagation = Propagation.MANDATORY)
    RolloutRow rollbackLocked(RolloutRow rollout, String toVersion, String reason, RollbackStatement.Signed statement,
            Actor actor) {
        Version bad = Version.parse(rollout.version());
        Target earlier = toVersion == null ? earlierThan(bad) : named(toVersion, bad);
        RollbackStatement word = checkStatement(rollout, earlier, statement);
        String why = (reason == null || reason.isBlank() ? "rolled back" : reason.trim()) + " (" + actor.name() + ")";
        if (!rollout.state().isFinal()) {
            cancelLocked(rollout, "rolled back to " + earlier.version() + ": " + why, actor);
        }
        RolloutPlan plan = new RolloutPlan(List.of("100%"), new RolloutRules(0, RolloutPlan.DEFAULT_RULES
                .successThreshold(), RolloutPlan.DEFAULT_RULES.minFinished(), RolloutPlan.DEFAULT_RULES
                .failureThreshold(), RolloutPlan.DEFAULT_RULES.minSample(), RolloutPlan.DEFAULT_RULES
                .installTimeoutSeconds(), null, false, false),
                new RolloutTarget(null, rollout.version(), null, null, null), null);
        Created created = create(earlier.id(), earlier.version(), RolloutKind.ROLLBACK, plan, actor, rollout.id());
        if (word != null) {
            // in the transaction that made the offers: no check can read them before the statement is there
            try {
                jdbc.sql("update rollouts set rollback_statement = ?, rollback_statement_id = ? where id = ?")
                        .param(JsonColumn.write(statement)).param(word.statementId()).param(created.rollout().id())
                        .update();
            } catch (DuplicateKeyException e) {
                throw statementUsed(word, rollout, earlier);
            }
        }
        jdbc.sql("update rollouts set rolled_back_by = ?, updated_at = ? where id = ?")
                .param(created.rollout().id()).param(Timestamp.from(clock.instant())).param(rollout.id()).update();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("to_version", earlier.version());
        details.put("reason", why);
        details.put("rollback", created.rollout().id().toString());
        details.put("devices", created.offered());
        if (word != null) {
            details.put("statement_id", word.statementId().toString());
            details.put("signed_by", statement.signature().keyId());
        }
        record(actor, "rollout.rolled_back", rollout, details);
        log.info("rolled back rollout id={} version={} to={} rollback={} offered={}", rollout.id(), rollout.version(),
                earlier.version(), created.rollout().id(), created.offered());
        return created.rollout();
    }

    /**
     * Whether the reconciler may roll back by itself: not when the server has publisher keys, since only the
     * publisher can sign the statement a rollback then needs.
     */
    boolean rollsBackUnsigned() {
        return !trust.hasKeys();
    }

    /** What the operator is to run instead of the reconciler's rollback: the signing command, or why there is none. */
    String signedRollbackInstruction(RolloutRow rollout) {
        Version bad = Version.parse(rollout.version());
        return earlierVersion(bad).map(target -> "its policy rolls it back, but this server has publisher keys"
                        + " (OTA_PUBLISHER_KEYS), so a rollback needs the publisher's signed statement: roll it back with "
                        + signCommand(rollout, target.version()))
                .orElse("its policy rolls it back, but there is no published version below " + bad
                        + " to go back to: publish a fixed version above it");
    }

    /**
     * The publisher's statement for this rollback, checked: required with publisher keys and verified against them;
     * without keys optional, and only read for its shape (the agents with pinned keys verify it). Either way it must
     * name this rollout, the version it goes to and the version it leaves, and must not have served before.
     */
    private RollbackStatement checkStatement(RolloutRow rollout, Target earlier, RollbackStatement.Signed signed) {
        String sign = "sign one with " + signCommand(rollout, earlier.version());
        if (signed == null) {
            if (trust.hasKeys()) {
                throw ApiException.badRequest("this server has publisher keys (OTA_PUBLISHER_KEYS): a rollback needs"
                        + " the publisher's signed statement that devices may go back from " + rollout.version()
                        + " to " + earlier.version() + "; " + sign + " (it sends the statement)");
            }
            return null;
        }
        RollbackStatement statement;
        try {
            statement = trust.hasKeys() ? signed.verify(trust.keys()) : signed.read();
        } catch (UntrustedException e) {
            throw ApiException.badRequest(e.getMessage() + " (" + sign + ")");
        }
        if (!rollout.id().equals(statement.rolloutId())) {
            throw ApiException.badRequest("the rollback statement is for rollout " + statement.rolloutId() + ", not "
                    + rollout.id() + ": a statement rolls back only the rollout it names; " + sign);
        }
        if (!Version.parse(statement.targetVersion()).equals(Version.parse(earlier.version()))) {
            throw ApiException.badRequest("the rollback statement says target_version " + statement.targetVersion()
                    + " but this rollback goes to " + earlier.version() + ": give to_version "
                    + statement.targetVersion() + ", or " + sign);
        }
        Version bad = Version.parse(rollout.version());
        if (statement.replaces().stream().map(Version::parse).noneMatch(bad::equals)) {
            throw ApiException.badRequest("the rollback statement replaces " + statement.replaces() + ", not "
                    + rollout.version() + ", the version this rollout rolls back: " + sign);
        }
        if (jdbc.sql("select exists (select 1 from rollouts where rollback_statement_id = ?)")
                .param(statement.statementId()).query(Boolean.class).single()) {
            throw statementUsed(statement, rollout, earlier);
        }
        return statement;
    }

    private static ApiException statementUsed(RollbackStatement statement, RolloutRow rollout, Target earlier) {
        return ApiException.conflict("the rollback statement " + statement.statementId() + " was already used for a"
                + " rollback: each statement serves once, so that an old one cannot be replayed; sign a new one with "
                + signCommand(rollout, earlier.version()));
    }

    private static String signCommand(RolloutRow rollout, String target) {
        return "create_update.sh rollout rollback " + rollout.id() + " --to " + target + " --sign-key KEY";
    }

    // ---- reading

    RolloutView view(UUID id) {
        return find(id).map(rollout -> views(List.of(rollout)).get(0))
                .orElseThrow(() -> ApiException.notFound("no rollout " + id + " (see GET /api/v1/rollouts)"));
    }

    RolloutPage list(RolloutState state, String version, int page, int size) {
        String where = " where (?::text is null or r.state = ?) and (?::text is null or u.version = ?)";
        String stateText = state == null ? null : state.wire();
        long total = jdbc.sql("select count(*) from rollouts r join updates u on u.id = r.update_id" + where)
                .param(stateText).param(stateText).param(version).param(version).query(Long.class).single();
        List<RolloutRow> rows = jdbc.sql(RolloutRow.SELECT + where + " order by r.created_at desc, r.id desc"
                        + " limit ? offset ?")
                .param(stateText).param(stateText).param(version).param(version).param(size)
                .param((long) page * size).query(RolloutRow.MAPPER).list();
        return new RolloutPage(views(rows), page, size, total, (int) ((total + size - 1) / size));
    }

    /**
     * The latest rollout of each update that has one. Unless {@code counted}, a finished or cancelled one comes
     * without its devices' counts: counting reads every device of the rollout (about 0.2 s for 100,000), and a page
     * of updates holds many that ended; what they wait for does not depend on them.
     */
    Map<UUID, RolloutView> latestOf(Collection<UUID> updateIds, boolean counted) {
        List<RolloutRow> rows = jdbc.sql(RolloutRow.SELECT + """
                where r.id in (select distinct on (update_id) id from rollouts where update_id = any(?::uuid[])
                               order by update_id, created_at desc)
                """).param(updateIds.toArray(UUID[]::new)).query(RolloutRow.MAPPER).list();
        Map<UUID, RolloutView> latest = new LinkedHashMap<>();
        List<RolloutView> views = views(rows, rows.stream()
                .filter(rollout -> counted || !rollout.state().isFinal()).map(RolloutRow::id).toList());
        for (int i = 0; i < rows.size(); i++) {
            latest.put(rows.get(i).updateId(), views.get(i));
        }
        return latest;
    }

    List<RolloutView> views(List<RolloutRow> rows) {
        return views(rows, rows.stream().map(RolloutRow::id).toList());
    }

    /**
     * The rollouts' views; those in {@code counted} with their devices' counts and delivery totals (both read every
     * device of the rollout), the others with empty counts and no totals.
     */
    List<RolloutView> views(List<RolloutRow> rows, Collection<UUID> counted) {
        Map<UUID, Map<Integer, PhaseCounts>> counts = tally.of(counted);
        Map<UUID, DeliveryTotals> delivered = deliveries.ofRollouts(counted);
        Instant now = clock.instant();
        return rows.stream().map(rollout -> {
            RolloutView view = view(rollout, counts.getOrDefault(rollout.id(), Map.of()), now);
            DeliveryTotals totals = delivered.get(rollout.id());
            return totals == null ? view : view.withDelivery(totals);
        }).toList();
    }

    private RolloutView view(RolloutRow rollout, Map<Integer, PhaseCounts> counts, Instant now) {
        List<RolloutPhaseView> phases = new ArrayList<>();
        for (int i = 0; i < rollout.phases().size(); i++) {
            PhaseCounts phase = counts.getOrDefault(i, PhaseCounts.empty(i));
            String state = rollout.state() == RolloutState.FINISHED || i < rollout.currentPhase() ? "done"
                    : i == rollout.currentPhase() && rollout.state() != RolloutState.AWAITING_APPROVAL
                    && rollout.state() != RolloutState.SCHEDULED && rollout.state() != RolloutState.CANCELLED
                    ? "open" : "waiting";
            // stored cumulative, shown per phase
            long planned = rollout.phases().get(i).plannedDevices()
                    - (i == 0 ? 0 : rollout.phases().get(i - 1).plannedDevices());
            phases.add(new RolloutPhaseView(i, rollout.phases().get(i).size(), planned, phase.devices(), state, phase.categories(), phase.silent(),
                    phase.successShare(), phase.failureShare(),
                    i == rollout.currentPhase() ? rollout.phaseStartedAt() : null));
        }
        RolloutJudge.Judgement next = RolloutJudge.judge(rollout,
                counts.getOrDefault(rollout.currentPhase(), PhaseCounts.empty(rollout.currentPhase())), now);
        return new RolloutView(rollout.id(), rollout.updateId(), rollout.version(), rollout.kind(), rollout.state(),
                rollout.target(), rollout.currentPhase(), phases, rollout.rules(), next.text(), next.at(),
                rollout.pausedReason(), rollout.startAt(), rollout.createdBy(), rollout.createdAt(),
                rollout.approvedBy(), rollout.approvedAt(), rollout.finishedAt(), rollout.rollbackOf(),
                rollout.rolledBackBy());
    }

    Optional<RolloutRow> find(UUID id) {
        return jdbc.sql(RolloutRow.SELECT + " where r.id = ?").param(id).query(RolloutRow.MAPPER).optional();
    }

    /** The rollout, its row locked until this transaction ends. */
    RolloutRow locked(UUID id) {
        return jdbc.sql(RolloutRow.SELECT + " where r.id = ? for update of r").param(id).query(RolloutRow.MAPPER)
                .optional()
                .orElseThrow(() -> ApiException.notFound("no rollout " + id + " (see GET /api/v1/rollouts)"));
    }

    /**
     * How many more devices one call offers the rollout to now: as many as the cap lets, and at most one batch
     * ({@code ota.rollouts.offer-batch}); the ticks that follow offer the rest.
     */
    Integer capacity(RolloutRow rollout) {
        long open = rollout.rules().maxConcurrent() == null ? 0
                : tally.openOffers(List.of(rollout.id())).getOrDefault(rollout.id(), 0L);
        return assignments.room(rollout, open);
    }

    // ---- inner steps

    private RolloutRow run(UUID id, Instant now) {
        jdbc.sql("""
                update rollouts set state = 'running', phase_started_at = coalesce(phase_started_at, ?),
                    judged_since = coalesce(judged_since, ?), updated_at = ?
                where id = ?
                """).param(Timestamp.from(now)).param(Timestamp.from(now)).param(Timestamp.from(now)).param(id)
                .update();
        RolloutRow running = locked(id);
        assignments.offer(running, capacity(running), null);
        return locked(id);
    }

    private void setState(UUID id, RolloutState state, Instant now) {
        jdbc.sql("update rollouts set state = ?, updated_at = ? where id = ?")
                .param(state.wire()).param(Timestamp.from(now)).param(id).update();
    }

    /**
     * Takes back the rollout's offers that have not started. A paused rollout's devices are queued again (offered
     * when it resumes); a cancelled one's are not.
     */
    private int withdraw(RolloutRow rollout, boolean forGood) {
        Instant now = clock.instant();
        List<UUID> withdrawn = jdbc.sql("""
                update device_updates set status = 'superseded', updated_at = ?
                where rollout_id = ? and status = 'pending' returning device_id
                """).param(Timestamp.from(now)).param(rollout.id()).query(UUID.class).list();
        if (!forGood && !withdrawn.isEmpty()) {
            jdbc.sql("update rollout_devices set offered = false where rollout_id = ? and device_id = any(?::uuid[])")
                    .param(rollout.id()).param(withdrawn.toArray(UUID[]::new)).update();
        }
        return withdrawn.size();
    }

    private static void require(RolloutRow rollout, String action, RolloutState... allowed) {
        for (RolloutState state : allowed) {
            if (rollout.state() == state) {
                return;
            }
        }
        String hint = switch (rollout.state()) {
            case AWAITING_APPROVAL -> "it awaits approval: approve it (POST .../approve) or cancel it";
            case SCHEDULED -> "it is scheduled to start at " + rollout.startAt() + ": start it now (POST .../start)"
                    + " or cancel it";
            case RUNNING -> "it is running: pause, advance, cancel or roll it back";
            case PAUSED -> "it is paused: resume it (POST .../resume), cancel it or roll it back";
            case CANCELLED -> "it was cancelled: publish a new version, or roll it back";
            case FINISHED -> "it has finished: retry its failed devices, or roll it back";
        };
        throw ApiException.conflict("the rollout cannot be " + action + ": " + hint);
    }

    private void record(Actor actor, String action, RolloutRow rollout, Map<String, ?> details) {
        Map<String, Object> all = new LinkedHashMap<>(details);
        all.putIfAbsent("version", rollout.version());
        all.putIfAbsent("phase", rollout.currentPhase());
        if (actor.caller() == null) {
            audit.recordSystem(action, "rollout", rollout.id().toString(), all);
        } else {
            audit.record(actor.caller(), action, "rollout", rollout.id().toString(), all);
        }
    }

    private static Map<String, Object> facts(RolloutRow rollout) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("rollout_id", rollout.id().toString());
        data.put("update_id", rollout.updateId().toString());
        data.put("version", rollout.version());
        data.put("kind", rollout.kind().wire());
        data.put("phase", rollout.currentPhase() + 1);
        data.put("phases", rollout.phases().size());
        return data;
    }

    private record Target(UUID id, String version) {
    }

    private Target earlierThan(Version bad) {
        return earlierVersion(bad).orElseThrow(() -> ApiException.conflict("there is no published version below " + bad + " to go back"
                        + " to: publish a fixed version above it instead"));
    }

    private Optional<Target> earlierVersion(Version bad) {
        return jdbc.sql("""
                select id, version from updates
                where (version_major, version_minor, version_patch) < (?, ?, ?)
                order by version_major desc, version_minor desc, version_patch desc limit 1
                """).param(bad.major()).param(bad.minor()).param(bad.patch())
                .query((rs, row) -> new Target(rs.getObject("id", UUID.class), rs.getString("version"))).optional();
    }

    private Target named(String text, Version bad) {
        Version version;
        try {
            version = Version.parse(text.trim());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("to_version: " + e.getMessage());
        }
        if (version.compareTo(bad) >= 0) {
            throw ApiException.badRequest("to_version " + version + " is not below " + bad + ": a rollback goes to an"
                    + " earlier published version");
        }
        return jdbc.sql("select id, version from updates where version = ?").param(version.toString())
                .query((rs, row) -> new Target(rs.getObject("id", UUID.class), rs.getString("version"))).optional()
                .orElseThrow(() -> ApiException.badRequest("to_version " + version + " was never published (see GET"
                        + " /api/v1/updates/)"));
    }

    private static Integer[] versionKey(String version) {
        Version parsed = Version.parse(version);
        return new Integer[] {parsed.major(), parsed.minor(), parsed.patch()};
    }
}
