package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.DurableFiles;
import dev.javia.ota.agent.transport.DeviceSession;
import dev.javia.ota.agent.transport.ServerRejectedException;
import dev.javia.ota.agent.transport.ServerUnavailableException;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateStatus;
import tools.jackson.core.type.TypeReference;
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
import java.util.logging.Logger;

/**
 * Status reports not yet acknowledged by the server, in {@code STATE_DIR/reports.json}, sent in the order they
 * were made. A report leaves the outbox only when the server answered it: 200, or a refusal that repeating cannot
 * change (409: the update was superseded or already finished). A server that is down, or a token that is being
 * replaced, keeps it for the next attempt, across restarts.
 */
public final class StatusOutbox {

    static final String NAME = "reports.json";
    private static final Logger LOG = Logger.getLogger(StatusOutbox.class.getName());

    /** One report for one update. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Entry(UUID updateId, StatusReport report) {
    }

    /** What a flush did: whether everything was delivered, and which reports the server refused. */
    public record Flush(boolean delivered, List<Entry> refused) {

        boolean refused(UUID updateId, UpdateStatus status) {
            return refused.stream().anyMatch(e -> e.updateId().equals(updateId) && e.report().status() == status);
        }
    }

    private final Path file;
    private final JsonMapper json;
    private final List<Entry> entries;

    private StatusOutbox(Path file, JsonMapper json, List<Entry> entries) {
        this.file = file;
        this.json = json;
        this.entries = entries;
    }

    public static StatusOutbox open(Path stateDir, JsonMapper json) {
        Path file = stateDir.resolve(NAME);
        List<Entry> entries = new ArrayList<>();
        if (Files.exists(file)) {
            try {
                entries.addAll(json.readValue(Files.readAllBytes(file), new TypeReference<List<Entry>>() {
                }));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return new StatusOutbox(file, json, entries);
    }

    public synchronized void add(UUID updateId, StatusReport report) {
        Entry entry = new Entry(updateId, report);
        if (!entries.contains(entry)) {
            entries.add(entry);
            save();
        }
    }

    public synchronized boolean holds(UUID updateId) {
        return entries.stream().anyMatch(e -> e.updateId().equals(updateId));
    }

    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** Sends what is waiting, oldest first; stops at the first report the server could not take now. */
    public synchronized Flush flush(DeviceSession session) {
        List<Entry> refused = new ArrayList<>();
        while (!entries.isEmpty()) {
            Entry entry = entries.get(0);
            String what = "UPDATE report " + entry.report().status().wire() + " for update " + entry.updateId();
            try {
                session.report(entry.updateId(), entry.report());
                LOG.info(what + " acknowledged");
            } catch (ServerUnavailableException e) {
                LOG.info(what + " kept for later: " + e.getMessage());
                return new Flush(false, refused);
            } catch (ServerRejectedException e) {
                if (e.unauthorized() || e.status() == 403) {
                    // the device cannot authenticate right now (enrollment key?): the report is still owed
                    LOG.warning(what + " kept for later: " + e.getMessage());
                    return new Flush(false, refused);
                }
                LOG.warning(what + " refused by the server, dropped: " + e.getMessage());
                refused.add(entry);
            }
            entries.remove(0);
            save();
        }
        return new Flush(true, refused);
    }

    private void save() {
        DurableFiles.write(file, json.writeValueAsBytes(entries), DurableFiles.WORLD_READABLE);
    }
}
