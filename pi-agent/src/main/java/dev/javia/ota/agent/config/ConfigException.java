package dev.javia.ota.agent.config;

import java.util.List;

/** The configuration cannot be used; the message names every setting that is wrong and why. */
public final class ConfigException extends RuntimeException {

    private final List<String> problems;

    ConfigException(List<String> problems) {
        super("invalid configuration: " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
