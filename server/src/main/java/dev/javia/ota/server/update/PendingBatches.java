package dev.javia.ota.server.update;

import dev.javia.ota.server.events.FleetEvent;
import dev.javia.ota.server.events.FleetEvents;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Whether some running rollout's open phase still holds devices that its batches have not reached. While none does
 * (the fleet's usual state), a device's check does not look for such phases, and costs what it did before batches.
 * Read from the database at most a second ago, and again at the first check after this instance offered a batch, or
 * after any instance changed a rollout while none was known: a phase advanced or a rollout started by another
 * instance's reconciler or operator is announced by the rollouts' trigger (db/migration/V13) as a
 * {@link FleetEvent.Kind#ROLLOUT} event, so that a device checking here the moment after is offered the update, not
 * at its next check. When the listener listens again, what it missed is unknown: the next check reads again.
 */
@Component
class PendingBatches {

    private static final Duration MAX_AGE = Duration.ofSeconds(1);

    private final JdbcClient jdbc;
    private final Clock clock;
    private volatile boolean known;
    private volatile boolean stale = true;
    private volatile Instant readAt = Instant.MIN;

    PendingBatches(JdbcClient jdbc, Clock clock, FleetEvents events) {
        this.jdbc = jdbc;
        this.clock = clock;
        events.follow(this::changed);
    }

    /**
     * A rollout changed somewhere (its row, or its devices' updates), or many devices at once, or the listener is
     * back: if none was known pending, some may be now. While some are, the second's re-read finds when none are;
     * the events of their reports need not each cost a read.
     */
    private void changed(FleetEvent event) {
        switch (event.kind()) {
            case ROLLOUT, FLEET -> {
                if (!known) {
                    stale = true;
                }
            }
            case RESYNC -> stale = true;
            default -> {
                // devices, updates, webhooks and the audit log do not open phases
            }
        }
    }

    /** Whether the next check reads the database again; for tests of the events' effect. */
    boolean isStale() {
        return stale;
    }

    boolean any() {
        Instant now = clock.instant();
        // a clock set back makes the answer look young: read again rather than trust it for that long
        if (stale || now.isAfter(readAt.plus(MAX_AGE)) || now.isBefore(readAt)) {
            // several threads may read at once: each gets the same answer, none waits for another
            stale = false;
            readAt = now;
            known = jdbc.sql("""
                    select exists (select 1 from rollouts r
                                   where r.state = 'running' and r.max_concurrent is null
                                     and exists (select 1 from rollout_devices rd
                                                 where rd.rollout_id = r.id and not rd.offered
                                                   and rd.phase <= r.current_phase))
                    """).query(Boolean.class).single();
        }
        return known;
    }

    /** This instance offers a phase a batch: once that commits, the next check reads the database again. */
    void offering() {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    stale = true;
                }
            });
        } else {
            stale = true;
        }
    }
}
