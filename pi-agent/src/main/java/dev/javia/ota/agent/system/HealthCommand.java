package dev.javia.ota.agent.system;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code APP_HEALTH_COMMAND}: the app's own health command, run in the new release's directory (so a relative
 * {@code ./healthcheck} is the release's own) through the command runner, never a shell, with a timeout. Exit 0 is
 * well. The last line it prints is the app's word, e.g. {@code wake-word engine failed to load model}. It learns
 * the release from {@code JAVIA_RELEASE_DIR}.
 */
public final class HealthCommand implements AppHealth {

    private final CommandRunner runner;
    private final List<String> argv;
    private final Duration timeout;

    public HealthCommand(CommandRunner runner, List<String> argv, Duration timeout) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a health command needs a program");
        }
        this.runner = runner;
        this.argv = List.copyOf(argv);
        this.timeout = timeout;
    }

    @Override
    public Answer ask(Path release) {
        Command command = Command.of(timeout, argv).withEnvironment("JAVIA_RELEASE_DIR", release.toString())
                .in(release);
        CommandResult result = runner.run(command);
        String words = result.tail(1);
        if (result.timedOut()) {
            return Answer.notWell("did not answer its health command (" + command.display() + ") within "
                    + timeout.toSeconds() + " s" + (words.isEmpty() ? "" : "; its last words: " + words));
        }
        if (result.exitCode() == 127 && words.startsWith(command.program() + ": cannot run")) {
            return Answer.notWell("has no health command to run (check APP_HEALTH_COMMAND): " + words);
        }
        if (result.succeeded()) {
            return Answer.well(words.isEmpty() ? "is well (its health command exited 0)" : "says: " + words);
        }
        return Answer.notWell(words.isEmpty()
                ? "is not well: its health command (" + command.display() + ") exited with code " + result.exitCode()
                        + " and said nothing"
                : "says: " + words);
    }
}
