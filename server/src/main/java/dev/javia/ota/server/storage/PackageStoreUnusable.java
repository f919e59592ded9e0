package dev.javia.ota.server.storage;

import java.util.List;

/** The package store cannot be used as configured: the start stops with these problems, each saying what to fix. */
class PackageStoreUnusable extends RuntimeException {

    private final List<String> problems;

    PackageStoreUnusable(List<String> problems, Throwable cause) {
        super(String.join("; ", problems), cause);
        this.problems = List.copyOf(problems);
    }

    List<String> problems() {
        return problems;
    }
}
