package dev.javia.ota.agent.system;

import java.time.Duration;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Tells systemd the agent is ready and alive, through the {@code systemd-notify} CLI: Java 17 cannot send the
 * AF_UNIX datagram itself (FIELD-NOTES). Does nothing when {@code NOTIFY_SOCKET} is unset (not under systemd, or
 * not {@code Type=notify}). The unit needs {@code NotifyAccess=all}: the message comes from the child process.
 */
public final class SystemdNotifier {

    private static final Logger LOG = Logger.getLogger(SystemdNotifier.class.getName());

    private final CommandRunner runner;
    private final boolean enabled;

    public SystemdNotifier(CommandRunner runner, Map<String, String> environment) {
        this.runner = runner;
        String socket = environment.get("NOTIFY_SOCKET");
        this.enabled = socket != null && !socket.isBlank();
    }

    public boolean enabled() {
        return enabled;
    }

    public void ready() {
        send("READY=1");
    }

    public void watchdog() {
        send("WATCHDOG=1");
    }

    private void send(String assignment) {
        if (!enabled) {
            return;
        }
        CommandResult result = runner.run(Command.of(Duration.ofSeconds(10), "systemd-notify", assignment));
        if (!result.succeeded()) {
            LOG.warning("systemd-notify " + assignment + " failed: " + result.describe());
        }
    }
}
