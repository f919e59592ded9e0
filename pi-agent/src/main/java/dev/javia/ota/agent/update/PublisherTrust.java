package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.DurableFiles;
import dev.javia.ota.protocol.trust.PublisherKeySet;
import dev.javia.ota.protocol.trust.PublisherKeys;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Logger;

/**
 * The publisher keys in force on this device: the keys pinned in the configuration ({@code OTA_PUBLISHER_KEYS}),
 * until a package whose signature verified against them hands on a newer set ({@code publisher_keys} with a serial
 * above the one held); then that set, kept in {@code STATE_DIR/publisher-keys.json}. That is how a new key reaches
 * every agent (a package signed by the old key names both) and how the old one is retired (a later one, signed by
 * the new key, names only the new one).
 *
 * <p>The file records the pinned keys it was learnt under. When the configuration names other keys (an operator
 * re-provisioned the device after a key was compromised), the file is ignored and replaced by the next set: the
 * configuration wins. An unreadable file is ignored the same way, with a warning: the configuration is the
 * operator's word, and the file is written whole (temp file, fsync, rename), so only a damaged disk makes one.
 *
 * <p>No keys pinned: nothing is verified and nothing is learnt, as before signatures existed.
 */
public final class PublisherTrust {

    static final String NAME = "publisher-keys.json";
    /** 1: {@code format_version}, {@code serial}, {@code keys}, {@code pinned}. Fields are only ever added. */
    static final int FORMAT_VERSION = 1;
    private static final Logger LOG = Logger.getLogger(PublisherTrust.class.getName());

    /**
     * The file's content.
     *
     * @param serial the serial of the set learnt (at least 1)
     * @param keys   the keys of that set, {@code ed25519:BASE64} each
     * @param pinned the configured keys when it was learnt, sorted as {@link PublisherKeys#texts}
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Stored(Integer formatVersion, long serial, List<String> keys, List<String> pinned) {

        Stored {
            formatVersion = formatVersion == null ? FORMAT_VERSION : formatVersion;
            keys = keys == null ? List.of() : List.copyOf(keys);
            pinned = pinned == null ? List.of() : List.copyOf(pinned);
        }
    }

    /** A set of keys and its serial; serial 0 is the pinned keys. */
    private record Held(long serial, PublisherKeys keys) {
    }

    private final Path file;
    private final PublisherKeys pinned;
    private final JsonMapper json;
    /** Volatile: the heartbeat thread never reads it, but a step and a test thread may. */
    private volatile Held held;

    private PublisherTrust(Path file, PublisherKeys pinned, JsonMapper json, Held held) {
        this.file = file;
        this.pinned = pinned;
        this.json = json;
        this.held = held;
    }

    /** Reads {@code STATE_DIR/publisher-keys.json}, if any, and keeps it only when learnt under {@code pinned}. */
    public static PublisherTrust open(Path stateDir, PublisherKeys pinned, JsonMapper json) {
        Path file = stateDir.resolve(NAME);
        Held fromConfig = new Held(0, pinned);
        if (pinned.isEmpty() || !Files.exists(file)) {
            return new PublisherTrust(file, pinned, json, fromConfig);
        }
        Stored stored;
        try {
            stored = json.readValue(Files.readAllBytes(file), Stored.class);
        } catch (IOException | JacksonException e) {
            LOG.warning("UPDATE cannot read " + file + " (" + e.getMessage() + "): trusting the configured "
                    + "OTA_PUBLISHER_KEYS (" + pinned.describe() + ") until a signed package names a newer set");
            return new PublisherTrust(file, pinned, json, fromConfig);
        }
        if (!stored.pinned().equals(pinned.texts())) {
            LOG.info("UPDATE OTA_PUBLISHER_KEYS changed since " + file + " was written: trusting the configured "
                    + pinned.describe() + "; the publisher key set of serial " + stored.serial() + " is dropped");
            return new PublisherTrust(file, pinned, json, fromConfig);
        }
        PublisherKeys keys;
        try {
            keys = new PublisherKeySet(stored.serial(), stored.keys()).parsed();
        } catch (IllegalArgumentException e) {
            LOG.warning("UPDATE " + file + " holds no usable key set (" + e.getMessage() + "): trusting the "
                    + "configured OTA_PUBLISHER_KEYS (" + pinned.describe() + ")");
            return new PublisherTrust(file, pinned, json, fromConfig);
        }
        return new PublisherTrust(file, pinned, json, new Held(stored.serial(), keys));
    }

    /** The keys a package or a rollback statement must be signed by; empty when none are pinned. */
    public PublisherKeys keys() {
        return held.keys();
    }

    /** The serial of the set in force: 0 for the pinned keys. */
    public long serial() {
        return held.serial();
    }

    /**
     * Takes {@code offered} when its serial is above the one held, and writes it (0644) before returning. Only call
     * with the set of a package whose signature {@link #keys()} verified.
     *
     * @return whether the set was taken
     * @throws IllegalArgumentException when the set is malformed (serial below 1, no key, a non-key)
     */
    boolean learn(PublisherKeySet offered) {
        PublisherKeys keys = offered.parsed();
        if (pinned.isEmpty() || offered.serial() <= held.serial()) {
            return false;
        }
        Stored stored = new Stored(FORMAT_VERSION, offered.serial(), keys.texts(), pinned.texts());
        DurableFiles.write(file, json.writeValueAsBytes(stored), DurableFiles.WORLD_READABLE);
        held = new Held(offered.serial(), keys);
        return true;
    }

    Path path() {
        return file;
    }
}
