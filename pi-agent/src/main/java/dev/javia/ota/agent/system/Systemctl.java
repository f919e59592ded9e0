package dev.javia.ota.agent.system;

import java.time.Duration;

/** The two systemctl calls the agent makes on the voice-assistant service. */
public final class Systemctl {

    private final CommandRunner runner;
    private final Duration timeout;

    public Systemctl(CommandRunner runner, Duration timeout) {
        this.runner = runner;
        this.timeout = timeout;
    }

    /**
     * Queues a restart and returns at once. Never a blocking restart: should the unit be the agent's own, systemd
     * would kill this very call mid-way (FIELD-NOTES "systemd from Java 17").
     */
    public void restart(String unit) {
        CommandResult result = runner.run(Command.of(timeout, "systemctl", "--no-block", "restart", unit));
        if (!result.succeeded()) {
            throw new CommandFailedException("systemctl --no-block restart " + unit + " failed: " + result.describe());
        }
    }

    /** {@code active}, {@code activating}, {@code failed}, {@code inactive}, ... as {@code systemctl is-active} says. */
    public String state(String unit) {
        CommandResult result = runner.run(Command.of(timeout, "systemctl", "is-active", unit));
        String state = result.output().strip();
        if (state.isEmpty()) {
            return result.timedOut() ? "unknown (systemctl timed out)" : "unknown (" + result.describe() + ")";
        }
        return state.lines().reduce((first, second) -> second).orElse(state);
    }
}
