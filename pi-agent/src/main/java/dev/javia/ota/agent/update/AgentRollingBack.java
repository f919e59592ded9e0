package dev.javia.ota.agent.update;

import java.util.Optional;

/**
 * The agent's part failed once the switch had begun: put the previous agent back as the guard's revert does
 * ({@code current} at its release, or no {@code current} for {@code legacy}; the drop-in for it; daemon-reload; the
 * trial file {@code state=reverted} with the reason), unless the guard already did. When this process is the new
 * agent, it restarts its unit and waits to be stopped, so that the previous agent finishes here; the previous agent
 * deletes the new release and reports {@code failed}. The app part was not touched.
 */
final class AgentRollingBack extends UpdateState {

    static final String NAME = "agent-rolling-back";
    private boolean restartQueued;

    AgentRollingBack(UpdateJob job) {
        super(NAME, job);
    }

    @Override
    UpdateState run(UpdateContext context) {
        if (restartQueued) {
            return this;
        }
        AgentSelf agent = context.agent();
        AgentHome home = agent.home();
        String to = job.agentVersion();
        String from = job.agentFrom();
        if (from == null) {
            return new Failed(job);
        }
        boolean moved = false;
        if (!home.runs(from)) {
            home.revertTo(from);
            moved = true;
        }
        boolean dropIn = home.linkDropIn();
        Optional<AgentTrialFile.Trial> trial = agent.trial().read().filter(t -> t.belongsTo(job.updateId()));
        if (trial.isEmpty() || !trial.get().isReverted() || trial.get().isReverting()) {
            AgentTrialFile.Trial open = trial.orElseGet(() -> AgentTrialFile.Trial.start(job.updateId(), from, to,
                    agent.bootId(), agent.uptimeSeconds(), agent.checkIn()));
            // the guard's own reason when it had begun this revert; else this job's
            agent.trial().write(open.reverted(open.isReverting() && !open.reason().isBlank() ? open.reason()
                    : job.failure()));
        }
        if (moved || dropIn) {
            context.systemctl().daemonReload();
            UpdateLog.warn(job, "put agent " + from + " back in place of " + to);
        }
        if (to.equals(agent.running())) {
            UpdateLog.warn(job, "restarting " + agent.unit() + " into agent " + from + ", which reports the failure");
            context.systemctl().restart(agent.unit());
            restartQueued = true;
            return this;
        }
        home.discard(to);
        return new Failed(job);
    }

    @Override
    UpdateState onFailure(String reason) {
        return new Failed(job.failedWith(job.failure() + "; putting the previous agent back failed too: " + reason));
    }

    @Override
    boolean installing() {
        return false;
    }
}
