package dev.javia.ota.agent.identity;

import com.github.f4b6a3.uuid.UuidCreator;
import dev.javia.ota.agent.system.DurableFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * The device's UUID7, its own key ({@link DeviceKey}) and its device token, each in its own file. The UUID is
 * written once, atomically, and then only read: it outlives updates, so the server keeps one record per Pi. The key
 * lives beside it ({@code device-key.pem}, {@code 0600}) and is never replaced either: the server binds it to the
 * UUID. The token is {@code 0600}; when it is lost or refused the agent registers again, proving itself with its
 * key (or, while the server has bound no key, with the enrollment key) and gets a fresh one for the same UUID.
 */
public final class DeviceIdentity {

    private static final Logger LOG = Logger.getLogger(DeviceIdentity.class.getName());

    private final String uuid;
    private final DeviceKey key;
    private final Path tokenFile;

    private DeviceIdentity(String uuid, DeviceKey key, Path tokenFile) {
        this.uuid = uuid;
        this.key = key;
        this.tokenFile = tokenFile;
    }

    /**
     * Reads the UUID from {@code uuidFile}, or creates it there on first start, and the device key from
     * {@code device-key.pem} in the same directory (made on first start too). A file that exists but does not
     * hold a UUID stops the start: silently replacing it would make this Pi a new device on the server. So does a
     * key file that holds no key ({@link DeviceKey#load}).
     */
    public static DeviceIdentity load(Path uuidFile, Path tokenFile) {
        String uuid;
        if (Files.exists(uuidFile)) {
            String text = read(uuidFile).strip();
            try {
                uuid = UUID.fromString(text).toString();
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(uuidFile + " does not hold a device UUID ('" + text + "'); restore it "
                        + "from a backup, or delete it to register this Pi as a new device");
            }
        } else {
            uuid = UuidCreator.getTimeOrderedEpoch().toString();
            DurableFiles.write(uuidFile, (uuid + "\n").getBytes(StandardCharsets.UTF_8), DurableFiles.WORLD_READABLE);
            LOG.info("created device UUID " + uuid + " in " + uuidFile);
        }
        DeviceKey key = DeviceKey.load(keyFile(uuidFile));
        return new DeviceIdentity(uuid, key, tokenFile);
    }

    /** {@code device-key.pem} beside {@code uuidFile}. */
    public static Path keyFile(Path uuidFile) {
        return uuidFile.toAbsolutePath().resolveSibling(DeviceKey.FILE_NAME);
    }

    public String uuid() {
        return uuid;
    }

    public DeviceKey key() {
        return key;
    }

    public Optional<String> token() {
        if (!Files.isRegularFile(tokenFile)) {
            return Optional.empty();
        }
        String token = read(tokenFile).strip();
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }

    public void saveToken(String token) {
        DurableFiles.write(tokenFile, (token + "\n").getBytes(StandardCharsets.UTF_8), DurableFiles.OWNER_ONLY);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
