package dev.javia.ota.agent.update;

/**
 * Reports the outcome ({@code completed}, or {@code failed} with the reason) and stays here until the server has
 * taken every report of this update: a report is never lost, even if the server is down for a day.
 */
final class Reporting extends UpdateState {

    static final String NAME = "reporting";

    Reporting(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        context.report(job, job.outcome(), job.failure());
        if (context.outbox().holds(job.updateId())) {
            return this;
        }
        UpdateLog.step(job, "reported " + job.outcome().wire());
        return new Done(job);
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
