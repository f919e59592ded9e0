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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code STATE_DIR/rollback-statements.json}: the ids of the rollback statements this agent installed, newest last,
 * the last {@value #KEPT}. A statement takes a device back once: replayed later (after the device went forward
 * again, or with another rollout's offer) it is refused by {@link DowngradeRule}. An id is recorded in
 * {@link Verifying}, before the install goes past verification, so a power cut never lets one be used twice.
 *
 * <p>Bounded, because a device lives for years: a statement older than the last {@value #KEPT} rollbacks of this
 * device could pass the id check again, and it still has to name the running version in {@code replaces} and a
 * version the device runs above, so it can take a device back only to where the publisher once said it may go.
 */
public final class UsedStatements {

    static final String NAME = "rollback-statements.json";
    static final int FORMAT_VERSION = 1;
    static final int KEPT = 100;

    /** The file's content: {@code used} oldest first. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Stored(Integer formatVersion, List<UUID> used) {

        Stored {
            formatVersion = formatVersion == null ? FORMAT_VERSION : formatVersion;
            used = used == null ? List.of() : List.copyOf(used);
        }
    }

    private final Path file;
    private final JsonMapper json;
    private final List<UUID> used;

    private UsedStatements(Path file, JsonMapper json, List<UUID> used) {
        this.file = file;
        this.json = json;
        this.used = used;
    }

    /**
     * @throws IllegalStateException when the file is there but unreadable: forgetting the ids would let a used
     *                               statement take the device back again, so the agent does not start on it
     */
    public static UsedStatements open(Path stateDir, JsonMapper json) {
        Path file = stateDir.resolve(NAME);
        List<UUID> used = new ArrayList<>();
        if (Files.exists(file)) {
            try {
                used.addAll(json.readValue(Files.readAllBytes(file), Stored.class).used());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            } catch (JacksonException e) {
                throw new IllegalStateException(file + " is not a list of used rollback statements ("
                        + e.getOriginalMessage() + "); move it aside only if no rollback statement may be replayed "
                        + "to this device", e);
            }
        }
        return new UsedStatements(file, json, used);
    }

    synchronized boolean contains(UUID statementId) {
        return used.contains(statementId);
    }

    /** Records {@code statementId} durably (written whole before this returns); a second call changes nothing. */
    synchronized void record(UUID statementId) {
        if (used.contains(statementId)) {
            return;
        }
        used.add(statementId);
        while (used.size() > KEPT) {
            used.remove(0);
        }
        DurableFiles.write(file, json.writeValueAsBytes(new Stored(FORMAT_VERSION, used)),
                DurableFiles.WORLD_READABLE);
    }
}
