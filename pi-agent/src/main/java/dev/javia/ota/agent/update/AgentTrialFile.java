package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.DurableFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code STATE_DIR/agent-trial}: the contract between the agent and its guard (a POSIX shell script, which is why it
 * is {@code key=value} lines and not JSON). The old agent writes it with {@code state=trial} just before it moves
 * {@code current}; the guard counts the new agent's starts in it and reverts when the new agent dies in a loop or
 * does not check in within {@code check_in_seconds}; the new agent commits after its first answer from the server.
 * Written whole (temp file, fsync, rename). Every writer keeps the keys it does not know, and readers ignore them:
 * the format only gains keys.
 */
public final class AgentTrialFile {

    static final String NAME = "agent-trial";
    static final String FORMAT = "1";
    static final String TRIAL = "trial";
    static final String COMMITTED = "committed";
    static final String REVERTED = "reverted";
    /** {@code from} for an agent started from the layout before releases ({@code AGENT_HOME/pi-agent.jar}). */
    static final String LEGACY = "legacy";
    /** More starts than this without a commit: the new agent dies in a loop (the guard's rule). */
    static final int MAX_STARTS = 3;

    private final Path file;

    public AgentTrialFile(Path stateDir) {
        this.file = stateDir.resolve(NAME);
    }

    public Path path() {
        return file;
    }

    /** The trial as the file says, or empty when there is none (no self-update ever ran). */
    public Optional<Trial> read() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            Map<String, String> values = new LinkedHashMap<>();
            for (String line : Files.readString(file, StandardCharsets.UTF_8).split("\n", -1)) {
                String text = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
                int eq = text.indexOf('=');
                if (text.isBlank() || text.startsWith("#") || eq <= 0) {
                    continue;
                }
                // the first KEY= line wins, as in the guard's reader
                values.putIfAbsent(text.substring(0, eq).strip(), text.substring(eq + 1));
            }
            return Optional.of(new Trial(values));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the file (an ended trial, before a new attempt opens its own); the guard does nothing without one. */
    void delete() {
        try {
            if (Files.deleteIfExists(file)) {
                DurableFiles.fsyncDirectory(file.toAbsolutePath().getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file + ": " + e.getMessage(), e);
        }
    }

    public void write(Trial trial) {
        StringBuilder text = new StringBuilder();
        trial.values.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        DurableFiles.write(file, text.toString().getBytes(StandardCharsets.UTF_8), DurableFiles.WORLD_READABLE);
    }

    /** One reading of the file: the keys in their order, the unknown ones too. */
    public static final class Trial {

        private final LinkedHashMap<String, String> values;

        private Trial(Map<String, String> values) {
            this.values = new LinkedHashMap<>(values);
        }

        /**
         * A trial that starts now: {@code from} is the agent before the switch ({@value #LEGACY} for the layout
         * before releases), {@code to} the one on trial; the bound and the start count start from zero in this boot.
         */
        public static Trial start(UUID updateId, String from, String to, String bootId, long sinceUptime,
                Duration checkIn) {
            Map<String, String> values = new LinkedHashMap<>();
            values.put("format", FORMAT);
            values.put("state", TRIAL);
            values.put("update_id", updateId.toString());
            values.put("from", from);
            values.put("to", to);
            values.put("boot_id", bootId);
            values.put("since_uptime", Long.toString(sinceUptime));
            values.put("check_in_seconds", Long.toString(checkIn.toSeconds()));
            values.put("starts", "0");
            values.put("max_starts", Integer.toString(MAX_STARTS));
            values.put("reason", "");
            return new Trial(values);
        }

        public String get(String key) {
            return values.getOrDefault(key, "");
        }

        public Map<String, String> values() {
            return Collections.unmodifiableMap(values);
        }

        public String state() {
            return get("state");
        }

        public String updateId() {
            return get("update_id");
        }

        public String from() {
            return get("from");
        }

        public String to() {
            return get("to");
        }

        public String reason() {
            return get("reason");
        }

        boolean isTrial() {
            return TRIAL.equals(state());
        }

        /**
         * The guard has decided to put the previous agent back and begun to ({@code reverting=1} is written before
         * anything moves; a cut leaves it for the next start to finish): the trial is lost, whatever the file's
         * {@code state} still says.
         */
        boolean isReverting() {
            return "1".equals(get("reverting"));
        }

        boolean isCommitted() {
            return COMMITTED.equals(state());
        }

        boolean isReverted() {
            return REVERTED.equals(state());
        }

        /** Whether this trial is the one {@code updateId} started (an older update's file is not this job's word). */
        boolean belongsTo(UUID updateId) {
            return updateId.toString().equals(updateId());
        }

        /** The new agent proved itself: it got an answer from the server. */
        public Trial committed() {
            return with("state", COMMITTED);
        }

        /** Put back by whoever found the new agent wanting; {@code why} is one line, for the failed report. */
        public Trial reverted(String why) {
            Trial done = with("state", REVERTED).with("reason", why.replace('\r', ' ').replace('\n', ' ').strip());
            // the guard's mark of a revert under way, which this one finishes
            done.values.remove("reverting");
            return done;
        }

        Trial with(String key, String value) {
            Trial copy = new Trial(values);
            copy.values.put(key, value);
            return copy;
        }

        @Override
        public String toString() {
            return values.toString();
        }
    }
}
