package dev.javia.ota.server.update;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.util.concurrent.TimeUnit;

/**
 * Whether some running rollout's open phase still holds devices that its batches have not reached. While none does
 * (the fleet's usual state), a device's check does not look for such phases, and costs what it did before batches.
 * Read from the database at most a second ago, and again at the first check after this instance offered a batch;
 * with several instances, one learns of another's advance within that second, and a device that checks in it is
 * offered the update by the next batch or at its next check.
 */
@Component
class PendingBatches {

    private static final long MAX_AGE = TimeUnit.SECONDS.toNanos(1);

    private final JdbcClient jdbc;
    private volatile boolean known;
    private volatile boolean stale = true;
    private volatile long readAt;

    PendingBatches(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    boolean any() {
        long now = System.nanoTime();
        if (stale || now - readAt > MAX_AGE) {
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
