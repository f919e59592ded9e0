package dev.javia.ota.agent.system;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a command outside the agent's cgroup, in a transient systemd unit: {@code systemd-run --unit=... --collect
 * --wait --pipe --quiet -E NAME=VALUE -- argv}. A child of the agent lives in the agent's cgroup, so a restart of the
 * agent (a self-update, a watchdog kill, {@code systemctl restart}) would kill an {@code apt-get} or {@code pip}
 * half-way and leave dpkg half-configured or a venv half-filled; in its own unit it runs to its end (FIELD-NOTES
 * "systemd from Java 17"). {@code --wait --pipe} keep the call synchronous with its output and exit code, as if run
 * directly; {@code --collect} leaves no failed unit behind.
 */
public final class TransientUnit {

    /** Runs commands as they are, in the agent's cgroup (no systemd: a sandbox, a test, a container). */
    public static final TransientUnit OFF = new TransientUnit(false);

    /** Unique unit names within a run, even for two commands in the same millisecond. */
    private static final AtomicLong LAST = new AtomicLong();

    private final boolean enabled;

    public TransientUnit(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean enabled() {
        return enabled;
    }

    /** {@code command} as run in a transient unit named after its program; unchanged when off. */
    public Command wrap(Command command) {
        if (!enabled) {
            return command;
        }
        String program = Path.of(command.program()).getFileName().toString().replaceAll("[^A-Za-z0-9_.-]", "_");
        long id = LAST.updateAndGet(last -> Math.max(last + 1, System.currentTimeMillis()));
        List<String> argv = new ArrayList<>(List.of("systemd-run", "--unit=javia-ota-" + program + "-" + id,
                "--collect", "--wait", "--pipe", "--quiet"));
        if (command.directory() != null) {
            argv.add("--working-directory=" + command.directory().toAbsolutePath());
        }
        // the unit does not inherit the agent's environment: what the command needs is passed by name
        for (Map.Entry<String, String> variable : command.environment().entrySet()) {
            argv.add("-E");
            argv.add(variable.getKey() + "=" + variable.getValue());
        }
        argv.add("--");
        argv.addAll(command.argv());
        return Command.of(command.timeout(), argv);
    }
}
