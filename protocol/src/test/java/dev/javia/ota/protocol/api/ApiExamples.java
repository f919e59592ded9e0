package dev.javia.ota.protocol.api;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds {@code docs/api/examples}, the example bodies that both sides of the API are tested against. */
public final class ApiExamples {

    private ApiExamples() {
    }

    public static Path directory() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path examples = dir.resolve("docs/api/examples");
            if (Files.isDirectory(examples)) {
                return examples;
            }
        }
        throw new IllegalStateException("docs/api/examples not found above " + Path.of("").toAbsolutePath());
    }

    public static Path file(String name) {
        return directory().resolve(name);
    }
}
