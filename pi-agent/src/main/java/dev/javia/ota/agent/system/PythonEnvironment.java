package dev.javia.ota.agent.system;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A release's own Python environment: {@code <release>/venv}, filled from {@code <release>/requirements.txt}. Each
 * release has its own, so switching back to the previous release also switches back its dependencies.
 */
public final class PythonEnvironment {

    public static final String REQUIREMENTS = "requirements.txt";
    public static final String VENV = "venv";

    private final CommandRunner runner;
    private final Duration timeout;
    private final TransientUnit unit;

    public PythonEnvironment(CommandRunner runner, Duration timeout) {
        this(runner, timeout, false);
    }

    /**
     * @param outsideCgroup run venv and pip in a transient unit ({@link TransientUnit}), as apt-get is: a restart of
     *                      the agent mid-way must not kill pip and leave a venv half-filled
     */
    public PythonEnvironment(CommandRunner runner, Duration timeout, boolean outsideCgroup) {
        this.runner = runner;
        this.timeout = timeout;
        this.unit = new TransientUnit(outsideCgroup);
    }

    /** Creates the release's venv and installs its requirements; does nothing when the release carries none. */
    public boolean install(Path release) {
        Path requirements = release.resolve(REQUIREMENTS);
        if (!Files.isRegularFile(requirements)) {
            return false;
        }
        Path venv = release.resolve(VENV);
        CommandResult created = runner.run(unit.wrap(Command.of(timeout, "python3", "-m", "venv",
                venv.toString())));
        if (!created.succeeded()) {
            throw new CommandFailedException("python3 -m venv " + venv + " failed (is python3-venv installed?): "
                    + created.describe());
        }
        CommandResult installed = runner.run(unit.wrap(Command.of(timeout, venv.resolve("bin/pip").toString(),
                "install", "--no-input", "--disable-pip-version-check", "-r", requirements.toString())));
        if (!installed.succeeded()) {
            throw new CommandFailedException("pip install -r " + REQUIREMENTS + " failed: " + installed.describe());
        }
        return true;
    }
}
