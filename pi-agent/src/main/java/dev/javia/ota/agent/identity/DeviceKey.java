package dev.javia.ota.agent.identity;

import dev.javia.ota.agent.system.DurableFiles;
import dev.javia.ota.protocol.trust.DeviceProof;
import dev.javia.ota.protocol.trust.Ed25519Keys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.EnumSet;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The device's own Ed25519 key pair: the private key in {@code device-key.pem} (PKCS#8 PEM, {@code 0600}) beside
 * the uuid file, the public key derived from it. The server binds the public key to the uuid at the first
 * registration that carries it; from then on only a signature by this key over a fresh challenge registers the uuid
 * again, so the enrollment key and a uuid read from a log no longer take a device over.
 */
public final class DeviceKey {

    /** The private key's file name, in the directory of the uuid file. */
    public static final String FILE_NAME = "device-key.pem";

    private static final Logger LOG = Logger.getLogger(DeviceKey.class.getName());
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private final PrivateKey privateKey;
    private final PublicKey publicKey;

    private DeviceKey(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /**
     * Reads the key from {@code file}, or makes one there on first start (a device from before device keys makes
     * its key at its first start after the update, and binds it at its next registration).
     * <p>
     * A file that exists but holds no key stops the start, it is never replaced: the server has bound the key it
     * held to this device's uuid, so a new key would lock the device out until an operator resets it, and a silent
     * replacement would hide whatever damaged the file.
     */
    public static DeviceKey load(Path file) {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return read(file);
        }
        KeyPair pair = Ed25519Keys.generate();
        // created 0600: DurableFiles makes the temporary file with its final mode, so the key is never readable by
        // others, not even between creation and rename
        DurableFiles.write(file, Ed25519Keys.pem(pair.getPrivate()).getBytes(StandardCharsets.US_ASCII),
                DurableFiles.OWNER_ONLY);
        DeviceKey key = new DeviceKey(pair.getPrivate(), pair.getPublic());
        LOG.info("created device key " + key.keyId() + " in " + file);
        return key;
    }

    private static DeviceKey read(Path file) {
        String pem;
        try {
            pem = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the device key " + file + " (" + e.getMessage() + "): check "
                    + "that it belongs to the agent's user", e);
        }
        PrivateKey privateKey;
        try {
            privateKey = Ed25519Keys.privateKey(pem);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(file + " does not hold a device key (" + e.getMessage() + "); restore "
                    + "it from a backup, or delete it and have the operator reset this device's key on the server "
                    + "(create_update.sh device reset-key UUID) so that the new key the agent makes is bound");
        }
        warnIfOthersCanRead(file);
        return new DeviceKey(privateKey, Ed25519Keys.publicKeyOf(privateKey));
    }

    private static void warnIfOthersCanRead(Path file) {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.stream().anyMatch(OTHERS::contains)) {
                LOG.warning(file + " can be read or written by other users: chmod 600 " + file + " (whoever read it "
                        + "can register as this device; if that may have happened, reset the device's key)");
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
    }

    /** {@code ed25519:BASE64}, as registration's {@code public_key}. */
    public String publicKeyText() {
        return Ed25519Keys.text(publicKey);
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    public String keyId() {
        return Ed25519Keys.keyId(publicKey);
    }

    /** The registration's {@code signature}: this key's proof over the server's {@code challenge} for {@code uuid}. */
    public String prove(String deviceUuid, String challenge) {
        return DeviceProof.sign(privateKey, deviceUuid, challenge);
    }
}
