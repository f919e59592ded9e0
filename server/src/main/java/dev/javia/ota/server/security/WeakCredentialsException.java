package dev.javia.ota.server.security;

import java.util.List;

/** The server refuses to start: a key is missing or weak. Each problem names the variable to set. */
class WeakCredentialsException extends RuntimeException {

    private final List<String> problems;

    WeakCredentialsException(List<String> problems) {
        super("The server cannot start with these credentials:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    List<String> problems() {
        return problems;
    }
}
