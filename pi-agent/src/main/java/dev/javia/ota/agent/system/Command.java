package dev.javia.ota.agent.system;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One command line: argv as given (never through a shell), extra environment and a timeout. The program is the
 * bare name ({@code apt-get}), found on {@code PATH}, so a test or a sandbox can put its own first.
 *
 * @param directory the working directory, or null for the agent's own
 */
public record Command(List<String> argv, Map<String, String> environment, Duration timeout, Path directory) {

    public Command {
        argv = List.copyOf(argv);
        environment = Map.copyOf(environment);
        Objects.requireNonNull(timeout, "timeout");
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a command needs a program");
        }
    }

    public Command(List<String> argv, Map<String, String> environment, Duration timeout) {
        this(argv, environment, timeout, null);
    }

    public static Command of(Duration timeout, List<String> argv) {
        return new Command(argv, Map.of(), timeout);
    }

    public static Command of(Duration timeout, String... argv) {
        return of(timeout, List.of(argv));
    }

    public Command withEnvironment(String name, String value) {
        Map<String, String> env = new LinkedHashMap<>(environment);
        env.put(name, value);
        return new Command(argv, env, timeout, directory);
    }

    /** The same command run in {@code dir} (a relative program such as {@code ./health} is found there too). */
    public Command in(Path dir) {
        return new Command(argv, environment, timeout, dir);
    }

    public String program() {
        return argv.get(0);
    }

    /** The command line as an operator would type it, for logs and error messages. */
    public String display() {
        return String.join(" ", argv);
    }
}
