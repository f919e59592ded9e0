package dev.javia.ota.agent.update;

import java.nio.file.Files;
import java.util.Optional;

/**
 * The old agent hands over to the new one: {@code previous} at the agent it runs (the guard's way back), the trial
 * file with {@code state=trial}, {@code current} at the new release by one rename, the release's drop-in linked (or
 * removed), {@code systemctl daemon-reload}, then {@code systemctl --no-block restart} of its own unit, and waits to
 * be stopped. Every step is idempotent, so a cut anywhere is mended by running the step again; the trial file tells a
 * start after the restart what became of it: the new agent goes on to {@code agent-trial}, and so does the old one
 * when the guard has reverted (it reports the failure there).
 */
final class AgentSwitching extends UpdateState {

    static final String NAME = "agent-switching";
    /** Set once this process queued the restart of its own unit: from then on it only waits to be stopped. */
    private boolean restartQueued;

    AgentSwitching(UpdateJob job) {
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
        Optional<AgentTrialFile.Trial> trial = agent.trial().read()
                .filter(t -> t.belongsTo(job.updateId()) && to.equals(t.to()));
        if (to.equals(agent.running())) {
            // the new agent, started by the restart (or by a reboot that came before it): finish what a cut may have
            // left undone, and go on to the trial
            if (home.linkDropIn()) {
                context.systemctl().daemonReload();
            }
            UpdateLog.step(job, "agent " + to + " started after the switch from " + from);
            return new AgentTrial(job);
        }
        if (trial.isPresent() && (!trial.get().isTrial() || trial.get().isReverting())) {
            // the guard (or the new agent) has had its word since the switch: the trial step reads it
            return new AgentTrial(job);
        }
        home.pointPreviousAt(from);
        if (trial.isEmpty()) {
            agent.trial().write(AgentTrialFile.Trial.start(job.updateId(), from, to, agent.bootId(),
                    agent.uptimeSeconds(), agent.checkIn()));
        }
        home.switchTo(to);
        boolean dropIn = home.linkDropIn();
        context.systemctl().daemonReload();
        UpdateLog.step(job, "switched the agent's current to " + to + " (previous: " + from + ")"
                + (dropIn ? ", unit drop-in " + (Files.exists(home.dropinLink()) ? "linked"
                : "removed") : "") + "; restarting " + agent.unit() + " into it");
        context.systemctl().restart(agent.unit());
        restartQueued = true;
        return this;
    }

    @Override
    UpdateState onFailure(String reason) {
        // the links may or may not have moved: put the running agent back to be sure
        return new AgentRollingBack(job.failedWith(name() + ": " + reason));
    }
}
