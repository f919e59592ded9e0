package dev.javia.ota.agent.system;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A command runner that records every argv and answers from a script: the last rule whose argv prefix matches
 * wins. Unscripted commands succeed; {@code systemctl is-active} answers {@code active} and
 * {@code apt-cache pkgnames -- NAME} lists NAME and {@code timedatectl show -p NTPSynchronized} says {@code yes}, as on a
 * healthy Debian whose clock NTP has set.
 */
public final class RecordingCommandRunner implements CommandRunner {

    private record Rule(List<String> prefix, Function<Command, CommandResult> answer) {
    }

    private final List<Command> commands = Collections.synchronizedList(new ArrayList<>());
    private final List<Rule> rules = new ArrayList<>();
    private Consumer<Command> beforeEach = command -> {
    };

    public RecordingCommandRunner answer(List<String> prefix, CommandResult result) {
        return answer(prefix, command -> result);
    }

    public synchronized RecordingCommandRunner answer(List<String> prefix, Function<Command, CommandResult> answer) {
        rules.add(new Rule(List.copyOf(prefix), answer));
        return this;
    }

    /** Runs before each command is answered (and after it is recorded): tests cut the power here. */
    public synchronized RecordingCommandRunner beforeEach(Consumer<Command> hook) {
        this.beforeEach = hook;
        return this;
    }

    @Override
    public CommandResult run(Command command) {
        commands.add(command);
        Consumer<Command> hook;
        List<Rule> snapshot;
        synchronized (this) {
            hook = beforeEach;
            snapshot = List.copyOf(rules);
        }
        hook.accept(command);
        for (int i = snapshot.size() - 1; i >= 0; i--) {
            Rule rule = snapshot.get(i);
            if (command.argv().size() >= rule.prefix().size()
                    && command.argv().subList(0, rule.prefix().size()).equals(rule.prefix())) {
                return rule.answer().apply(command);
            }
        }
        List<String> argv = command.argv();
        if (argv.size() >= 2 && argv.get(0).equals("systemctl") && argv.get(1).equals("is-active")) {
            return CommandResult.ok("active\n");
        }
        if (argv.size() >= 2 && argv.get(0).equals("timedatectl") && argv.contains("NTPSynchronized")) {
            return CommandResult.ok("yes\n");
        }
        if (argv.size() >= 2 && argv.get(0).equals("apt-cache") && argv.get(1).equals("pkgnames")) {
            return CommandResult.ok(argv.get(argv.size() - 1) + "\n");
        }
        return CommandResult.ok("");
    }

    public List<Command> commands() {
        return List.copyOf(commands);
    }

    /** Each command line as an operator would type it. */
    public List<String> lines() {
        return commands().stream().map(Command::display).toList();
    }

    public void clear() {
        commands.clear();
    }
}
