package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.UpdateStatus;

import java.util.Optional;

/**
 * The new agent on trial. It commits the trial (rewrites it {@code state=committed}) after its first answer from the
 * server in this run, a heartbeat's or a report's, then goes on with the app part. The bound of the trial is the
 * guard's, outside this process: a new agent that cannot get an answer, or dies before, is put back by it.
 * <p>
 * The old agent comes here when it starts again after the switch: the guard reverted (the new one did not start,
 * did not check in, or died in a loop), or the trial is still open because the guard did not run at this start
 * (then this agent puts itself back). Either way the job fails with the reason, and the app part is not touched.
 */
final class AgentTrial extends UpdateState {

    static final String NAME = "agent-trial";
    private boolean warnedReverted;

    AgentTrial(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        AgentSelf agent = context.agent();
        String to = job.agentVersion();
        Optional<AgentTrialFile.Trial> found = agent.trial().read().filter(t -> t.belongsTo(job.updateId()));
        if (!to.equals(agent.running())) {
            return afterRevert(agent, found);
        }
        if (found.isEmpty()) {
            UpdateLog.warn(job, "no trial file for this update in " + agent.trial().path()
                    + ": nothing to commit, agent " + to + " goes on");
            return appPart(job);
        }
        AgentTrialFile.Trial trial = found.get();
        if (trial.isReverted() || trial.isReverting()) {
            // reverted under this very process: the guard restarts the unit, and the old agent reports
            if (!warnedReverted) {
                UpdateLog.warn(job, "agent " + to + " was reverted (" + trial.reason() + "); waiting to be stopped");
                warnedReverted = true;
            }
            return this;
        }
        if (trial.isTrial()) {
            if (context.session().answered() == 0) {
                // nothing from the server yet in this run (the loop's heartbeat may be behind): ask it directly
                context.report(job, UpdateStatus.INSTALLING, null);
            }
            if (context.session().answered() == 0) {
                return this;
            }
            if (!commit(agent)) {
                return this;
            }
            UpdateLog.step(job, "agent " + to + " checked in with the server: trial committed (from "
                    + trial.from() + ")");
        }
        return appPart(job);
    }

    /**
     * Commits the trial read again just now, unless the guard has meanwhile reverted or begun to (the report before
     * may have taken seconds). The guard, for its part, reverts only a file that still says {@code state=trial}.
     */
    private boolean commit(AgentSelf agent) {
        Optional<AgentTrialFile.Trial> now = agent.trial().read().filter(t -> t.belongsTo(job.updateId()));
        if (now.isEmpty() || !now.get().isTrial() || now.get().isReverting()) {
            return now.isPresent() && now.get().isCommitted();
        }
        agent.trial().write(now.get().committed());
        return true;
    }

    /** The old agent runs: the new one was put back, or must be now. */
    private UpdateState afterRevert(AgentSelf agent, Optional<AgentTrialFile.Trial> found) {
        String to = job.agentVersion();
        String prefix = "agent " + to + " was rolled back to " + job.agentFrom() + ": ";
        if (found.isPresent() && (found.get().isReverted() || found.get().isReverting())) {
            // reverted, or a revert the guard began and a cut stopped: agent-rolling-back finishes it
            String why = found.get().reason().isBlank() ? "the guard gave no reason" : found.get().reason();
            return new AgentRollingBack(job.failedWith(prefix + why));
        }
        if (found.isPresent() && found.get().isCommitted()) {
            // committed by the new agent, yet another one runs: put back by hand, or by the guard in the very moment
            // of the commit. Not this job's success: the app part is not run by an agent the update did not bring
            return new AgentRollingBack(job.failedWith(prefix + "agent " + agent.running() + " runs although "
                    + to + " had committed its trial (put back by hand?)"));
        }
        String why = found.isPresent()
                ? "the guard did not run when the agent started (it runs from /usr/lib/javia-agent/run-agent; see "
                + "journalctl -u javia-ota-agent), so the previous agent put itself back"
                : "the trial file " + agent.trial().path() + " is gone, so the previous agent put itself back";
        return new AgentRollingBack(job.failedWith(prefix + why));
    }

    /**
     * A trial of this very agent left open with no update step to commit it (the update's state file was lost, or
     * moved aside): committed after the first answer from the server all the same, or the guard would put a good
     * agent back once the bound passes.
     *
     * @return whether there is nothing more to do (no open trial of this agent, or committed now)
     */
    static boolean commitOrphan(UpdateContext context) {
        AgentSelf agent = context.agent();
        Optional<AgentTrialFile.Trial> open = agent.trial().read()
                .filter(t -> t.isTrial() && !t.isReverting() && t.to().equals(agent.running()));
        if (open.isEmpty()) {
            return true;
        }
        if (context.session().answered() == 0) {
            return false;
        }
        agent.trial().write(open.get().committed());
        UpdateLog.step(null, "agent " + agent.running() + " checked in with the server: its open trial (update "
                + open.get().updateId() + ", from " + open.get().from() + ") committed");
        return true;
    }

    /** After the agent part: the app's, or for an agent-only package its release carried forward. */
    static UpdateState appPart(UpdateJob job) {
        return job.includesApp() ? new Extracting(job) : new CarryingForward(job);
    }

    /** The guard bounds the trial (starts, time to check in); the agent's own stop count would cut it short. */
    @Override
    boolean endsAfterRepeatedStops() {
        return false;
    }

    @Override
    UpdateState onFailure(String reason) {
        return new AgentRollingBack(job.failedWith(name() + ": " + reason));
    }
}
