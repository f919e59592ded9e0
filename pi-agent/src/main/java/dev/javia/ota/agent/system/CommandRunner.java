package dev.javia.ota.agent.system;

/**
 * Runs one system command to its end or its timeout. A real seam: the agent uses {@link ProcessCommandRunner};
 * tests use a fake that records argv and returns scripted results. Never throws for a failing command: a
 * program that cannot be started ends with exit code 127, as in a shell.
 */
public interface CommandRunner {

    CommandResult run(Command command);
}
