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
 * {@code STATE_DIR/update-state.json}: the step the machine is about to run, the job, the transition count and how
 * often the agent stopped in this step. Written whole (temp file, fsync, rename) before each step runs, so that
 * after a power cut it names the step that was running or about to run, never half of one.
 *
 * <p>The format only ever gains fields, and every reader ignores fields it does not know: an agent reads the file
 * of an older one (a missing field reads as 0) and of a newer one (downgraded agents keep going).
 */
public final class StateFile {

    static final String NAME = "update-state.json";
    /**
     * 1: {@code state}, {@code job}, {@code transitions}, without {@code format_version}. 2: adds
     * {@code format_version}, {@code stops_in_step} and {@code step_progress}. 3: adds {@code job.window_ends_at}
     * (absent from an older file: read as null, "no window's end", as from a server before it). 4: adds
     * {@code job.offer.rollback}, so that a rollback offered before a power cut is still one after it (absent from an
     * older file: read as false, a plain update, as from a server before it). 5: the offer may carry
     * {@code job.offer.signature} and {@code job.offer.rollback_statement} (issue 14), left out when null (absent from
     * an older file: read as null, an unsigned offer, as from a server before signatures; with publisher keys pinned
     * such a job is refused in verifying, as an unsigned offer from the server would be). 6: the agent's own update
     * (issue 16): {@code job.agent_version}, {@code job.agent_from}, {@code job.app_included} (absent from an older
     * file: read as null, no agent part and an app part, as every package before) and the states
     * {@code agent-extracting}, {@code agent-switching}, {@code agent-trial}, {@code agent-rolling-back} and
     * {@code carrying-forward}. An agent of format 5 or older that finds one of those states (an agent put back by
     * hand, or by the guard to a release before self-updates) does not guess: it resumes in {@code failed}, which
     * deletes the download and the app release it never switched to, and reports the job failed. 7: delta updates
     * (issue 18): {@code job.delivery}, {@code job.delta_fallback}, {@code job.delta_bytes} (absent from an older
     * file: read as null, the package as always, and an outcome report that does not say what was downloaded), the
     * offer's {@code delta} ({@code job.offer.delta}, null without one) and the states {@code downloading-delta} and
     * {@code assembling}. An agent of format 6 or older that finds one of those states resumes in {@code failed}, as
     * above, and leaves the delta's part file ({@code staging/<id>.delta.zip}) behind.
     */
    static final int FORMAT_VERSION = 7;

    /**
     * One persisted moment of the machine. The fields format 2 added are boxed: a file of format 1 lacks them, and
     * they read as null (the agent's mapper refuses null for a primitive), then as format 1 and 0.
     *
     * @param formatVersion {@link #FORMAT_VERSION} when written
     * @param stopsInStep   how many times the agent stopped in {@code state} without getting further
     * @param stepProgress  how far {@code state} had got when it was last entered ({@link UpdateState#progress})
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Snapshot(Integer formatVersion, String state, UpdateJob job, int transitions, Integer stopsInStep,
                           Long stepProgress) {

        public Snapshot {
            formatVersion = formatVersion == null ? 1 : formatVersion;
            stopsInStep = stopsInStep == null ? 0 : stopsInStep;
            stepProgress = stepProgress == null ? 0 : stepProgress;
        }

        Snapshot(String state, UpdateJob job, int transitions, int stopsInStep, long stepProgress) {
            this(FORMAT_VERSION, state, job, transitions, stopsInStep, stepProgress);
        }
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
