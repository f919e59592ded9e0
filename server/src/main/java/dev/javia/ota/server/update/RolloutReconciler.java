package dev.javia.ota.server.update;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Applies the rollouts' rules by itself: starts the scheduled ones whose time has come, pauses a running one whose
 * open phase fails (and rolls it back when its policy says so, unless a rollback needs the publisher's signed
 * statement: the pause then says how to sign one), advances one whose phase succeeded, and tops up the
 * offers of open phases (new phases, resumed rollouts, the concurrency cap as devices finish). One tick is one
 * transaction under a PostgreSQL advisory lock, so that of several server instances only one judges at a time; the
 * others skip their tick. Every step it takes is in the audit log as {@code system}.
 */
@Component
public class RolloutReconciler {

    private static final Logger log = LoggerFactory.getLogger(RolloutReconciler.class);

    /** The advisory lock's key: "javia-ro" in ASCII, so that it does not collide with another application's. */
    static final long LOCK = 0x6a61766961_2d726fL;

    /** What one tick did. */
    public record Tick(boolean ran, int started, int paused, int advanced, int finished, int offered) {
        static final Tick SKIPPED = new Tick(false, 0, 0, 0, 0, 0);
    }

    private final JdbcClient jdbc;
    private final Clock clock;
    private final Rollouts rollouts;
    private final PhaseTally tally;
    private final Assignments assignments;

    RolloutReconciler(JdbcClient jdbc, Clock clock, Rollouts rollouts, PhaseTally tally, Assignments assignments) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.rollouts = rollouts;
        this.tally = tally;
        this.assignments = assignments;
    }

    @Transactional
    public Tick tick() {
        if (!jdbc.sql("select pg_try_advisory_xact_lock(?)").param(LOCK).query(Boolean.class).single()) {
            return Tick.SKIPPED;
        }
        // every row this tick may change, locked at once in one order: an operator's action holds at most one
        jdbc.sql("select id from rollouts where state in ('scheduled', 'running') order by id for update")
                .query(UUID.class).list();
        Instant now = clock.instant();
        int started = 0;
        for (RolloutRow due : jdbc.sql(RolloutRow.SELECT + """
                where r.state = 'scheduled' and (r.start_at is null or r.start_at <= ?)
                """).param(java.sql.Timestamp.from(now)).query(RolloutRow.MAPPER).list()) {
            rollouts.startDue(due, now);
            started++;
        }
        List<RolloutRow> running = jdbc.sql(RolloutRow.SELECT + " where r.state = 'running'")
                .query(RolloutRow.MAPPER).list();
        Map<UUID, PhaseCounts> open = tally.open(running);
        int paused = 0;
        int advanced = 0;
        int finished = 0;
        for (RolloutRow rollout : running) {
            RolloutJudge.Judgement judgement = RolloutJudge.judge(rollout,
                    open.getOrDefault(rollout.id(), PhaseCounts.empty(rollout.currentPhase())), now);
            switch (judgement.verdict()) {
                case PAUSE -> {
                    boolean rollBack = rollout.rules().autoRollback() && !rollout.isRollback();
                    if (rollBack && !rollouts.rollsBackUnsigned()) {
                        // only the publisher can sign the statement a rollback needs: the operator is told how
                        rollouts.pauseLocked(rollout, judgement.text() + "; "
                                + rollouts.signedRollbackInstruction(rollout), Rollouts.Actor.SYSTEM);
                    } else {
                        rollouts.pauseLocked(rollout, judgement.text(), Rollouts.Actor.SYSTEM);
                        if (rollBack) {
                            rollouts.rollbackLocked(rollouts.locked(rollout.id()), null,
                                    "the rollout's policy rolls back when its failure rule trips", null,
                                    Rollouts.Actor.SYSTEM);
                        }
                    }
                    paused++;
                }
                case ADVANCE -> {
                    rollouts.advanceLocked(rollout, judgement.text(), Rollouts.Actor.SYSTEM);
                    advanced++;
                }
                case FINISH -> {
                    rollouts.advanceLocked(rollout, judgement.text(), Rollouts.Actor.SYSTEM);
                    finished++;
                }
                case WAIT -> {
                }
            }
        }
        int offered = topUp();
        Tick tick = new Tick(true, started, paused, advanced, finished, offered);
        if (started + paused + advanced + finished + offered > 0) {
            log.info("rollout tick running={} started={} paused={} advanced={} finished={} offered={}",
                    running.size(), started, paused, advanced, finished, offered);
        }
        return tick;
    }

    /**
     * Offers the running rollouts' open phases to their devices not offered yet, as far as each cap allows and at
     * most a batch per rollout per tick ({@code ota.rollouts.offer-batch}).
     */
    private int topUp() {
        List<RolloutRow> waiting = jdbc.sql(RolloutRow.SELECT + """
                where r.state = 'running' and exists (
                    select 1 from rollout_devices rd
                    where rd.rollout_id = r.id and not rd.offered and rd.phase <= r.current_phase)
                """).query(RolloutRow.MAPPER).list();
        Map<UUID, Long> openOffers = tally.openOffers(waiting.stream()
                .filter(rollout -> rollout.rules().maxConcurrent() != null).map(RolloutRow::id).toList());
        int offered = 0;
        for (RolloutRow rollout : waiting) {
            int room = assignments.room(rollout, openOffers.getOrDefault(rollout.id(), 0L));
            if (room > 0) {
                offered += assignments.offer(rollout, room, null);
            }
        }
        return offered;
    }
}
