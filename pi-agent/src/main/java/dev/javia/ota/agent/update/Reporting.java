package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.UpdateStatus;

/**
 * Reports the outcome ({@code completed}, or {@code failed} with the reason) and stays here until the server has
 * taken every report of this update: a report is never lost, even if the server is down for a day. The report says
 * what the install downloaded and whether from a delta ({@link UpdateContext#report}).
 */
final class Reporting extends UpdateState {

    static final String NAME = "reporting";

    Reporting(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        context.report(job, job.outcome(), message());
        if (context.outbox().holds(job.updateId())) {
            return this;
        }
        UpdateLog.step(job, "reported " + job.outcome().wire());
        return new Done(job);
    }

    /**
     * The failure; for a completed install that fell back from its delta, why the delta was not used: a full
     * download on a link that expected a few kilobytes is never silent.
     */
    private String message() {
        if (job.outcome() == UpdateStatus.COMPLETED && job.deltaFallback() != null) {
            return "installed from the full package; the delta was not used: " + job.deltaFallback();
        }
        return job.failure();
    }

    @Override
    UpdateState onFailure(String reason) {
        return this;
    }

    @Override
    boolean installing() {
        return false;
    }

    @Override
    boolean endsAfterRepeatedStops() {
        return false;
    }
}
