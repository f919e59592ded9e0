package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.UpdateType;

/** An update is offered; nothing is touched until the install policy says it is time and the user is away. */
final class Waiting extends UpdateState {

    static final String NAME = "waiting";
    private String lastReason;

    Waiting(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        UpdateType type = job.offer().updateType() == null ? UpdateType.SCHEDULED : job.offer().updateType();
        // A scheduled install is a wall-clock decision (02:00 device-local) and waits for a trusted clock; an urgent
        // one depends only on idle time, which is monotonic, so a stale clock does not hold it back.
        InstallPolicy.Decision decision = type == UpdateType.SCHEDULED && !context.clockTrust().trusted()
                ? new InstallPolicy.Decision(false, context.clockTrust().reason())
                : context.policy().decide(type, job.scheduledFor(), job.windowEndsAt(), job.offeredAt(),
                        context.clock().instant(), context.idleFor().get());
        if (!decision.due()) {
            if (!decision.reason().equals(lastReason)) {
                UpdateLog.step(job, "waiting: " + decision.reason());
                lastReason = decision.reason();
            }
            return this;
        }
        UpdateLog.step(job, "starting: " + decision.reason());
        return DownloadingDelta.choose(context, job);
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
