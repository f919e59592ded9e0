package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.DurableFiles;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code STATE_DIR/update-state.json}: the step the machine is about to run, the job and the transition count.
 * Written whole (temp file, fsync, rename) before each step runs, so that after a power cut it names the step
 * that was running or about to run, never half of one.
 */
public final class StateFile {

    static final String NAME = "update-state.json";

    /** One persisted moment of the machine. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Snapshot(String state, UpdateJob job, int transitions) {
    }

    private final Path file;
    private final JsonMapper json;

    public StateFile(Path stateDir, JsonMapper json) {
        this.file = stateDir.resolve(NAME);
        this.json = json;
    }

    public Path path() {
        return file;
    }

    public Optional<Snapshot> load() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(json.readValue(Files.readAllBytes(file), Snapshot.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (JacksonException e) {
            throw new IllegalStateException(file + " is not a state file the agent can read (" + e.getOriginalMessage()
                    + "); move it aside to start from idle", e);
        }
    }

    void save(Snapshot snapshot) {
        DurableFiles.write(file, json.writeValueAsBytes(snapshot), DurableFiles.WORLD_READABLE);
    }
}
