package dev.javia.ota.agent.system;

import java.time.Duration;

/**
 * The systemctl calls the agent makes: on the voice-assistant service, and on its own unit when it updates itself
 * ({@link #daemonReload} after its drop-in changed, then a {@link #restart} of the agent's unit).
 */
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

    /**
     * Makes systemd read the unit files again, so that a drop-in linked or removed at the agent's switch applies at
     * the next start of its unit. Blocking, and short: it does not touch running units.
     */
    public void daemonReload() {
        CommandResult result = runner.run(Command.of(timeout, "systemctl", "daemon-reload"));
        if (!result.succeeded()) {
            throw new CommandFailedException("systemctl daemon-reload failed: " + result.describe()
                    + "; the agent's unit may run without its release's drop-in until systemd reloads");
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
