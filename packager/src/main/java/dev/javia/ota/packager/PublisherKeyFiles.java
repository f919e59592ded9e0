package dev.javia.ota.packager;

import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.PublisherKeySet;
import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.PublisherSignature;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The publisher's key files as the packager writes and reads them: {@code NAME.key} (the private key, PKCS#8 PEM,
 * mode 0600 from the moment it exists), {@code NAME.pub} (the {@code ed25519:BASE64} line, 0644), the {@code .sig}
 * beside a package (a {@link PublisherSignature} in JSON), and the key sets that rotate keys.
 */
final class PublisherKeyFiles {

    /** The private key's file, as {@code --sign-key}, {@code OTA_SIGN_KEY} or {@code sign_key} name it. */
    record SigningKey(Path file, PrivateKey privateKey, PublicKey publicKey) {

        String keyId() {
            return Ed25519Keys.keyId(publicKey);
        }

        String publicText() {
            return Ed25519Keys.text(publicKey);
        }

        PublisherKeys trusted() {
            return PublisherKeys.parse(List.of(Ed25519Keys.text(publicKey)));
        }
    }

    /** A key file is a few hundred bytes; anything far larger is not one. */
    private static final long MAX_KEY_FILE_BYTES = 16 * 1024;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    private PublisherKeyFiles() {
    }

    /** The paths {@code keygen} writes: {@code dir/NAME.key} and {@code dir/NAME.pub}. */
    record KeyPairFiles(Path privateFile, Path publicFile, String keyId, String publicText) {
    }

    /**
     * Makes a key pair and writes it. The private file is created with mode 0600 ({@code O_CREAT|O_EXCL} with that
     * mode: no moment at which another user could open it, and the umask can only take bits away); neither file is
     * ever overwritten, since overwriting a publisher key would orphan every device that trusts it.
     */
    static KeyPairFiles generate(Path dir, String name) {
        if (!NAME.matcher(name).matches()) {
            throw PackagerException.badInput("--name '" + name + "' is not a plain file name: use letters, digits, "
                    + "'.', '_' and '-' (e.g. publisher-2026)");
        }
        Path privateFile = dir.resolve(name + ".key");
        Path publicFile = dir.resolve(name + ".pub");
        for (Path file : List.of(privateFile, publicFile)) {
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw PackagerException.badInput(file + " already exists and is never overwritten (devices may "
                        + "trust that key): choose another --name or --out, or move the old file away yourself");
            }
        }
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, posixAttribute(dir, "rwx------"));
            }
        } catch (IOException e) {
            throw PackagerException.badInput("cannot create the directory " + dir + " (" + e.getMessage() + ")");
        }
        KeyPair pair = Ed25519Keys.generate();
        String publicText = Ed25519Keys.text(pair.getPublic());
        try {
            createNew(privateFile, Ed25519Keys.pem(pair.getPrivate()), "rw-------");
        } catch (IOException e) {
            throw PackagerException.badInput("cannot write " + privateFile + " (" + describe(e) + ")");
        }
        try {
            createNew(publicFile, publicText + "\n", "rw-r--r--");
        } catch (IOException e) {
            // a private key without its public line is no use to the operator, and must not linger unnoticed
            try {
                Files.deleteIfExists(privateFile);
            } catch (IOException ignored) {
                // said below: the operator is told which file to remove
            }
            throw PackagerException.badInput("cannot write " + publicFile + " (" + describe(e) + "); " + privateFile
                    + " was removed again");
        }
        return new KeyPairFiles(privateFile, publicFile, Ed25519Keys.keyId(pair.getPublic()), publicText);
    }

    /**
     * Reads a private key, refusing one that others may read. Refused rather than warned about, as ssh refuses an
     * unprotected identity file: whoever can read this key can ship code to every device that trusts it, so a
     * readable copy has to be fixed before it signs anything.
     */
    static SigningKey readSigningKey(Path file, String source) {
        if (!Files.exists(file)) {
            throw PackagerException.badInput(source + ": " + file + " does not exist: make a key pair with "
                    + "create_update.sh keygen (the .key file signs)");
        }
        if (!Files.isRegularFile(file)) {
            throw PackagerException.badInput(source + ": " + file + " is not a file: name the .key file that "
                    + "create_update.sh keygen wrote");
        }
        String pem;
        try {
            if (Files.size(file) > MAX_KEY_FILE_BYTES) {
                throw PackagerException.badInput(source + ": " + file + " is larger than a key file; name the .key "
                        + "file that create_update.sh keygen wrote");
            }
            pem = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw PackagerException.badInput(source + ": cannot read " + file + " (" + describe(e) + ")");
        }
        if (pem.contains(Ed25519Keys.PUBLIC_PREFIX) && !pem.contains("PRIVATE KEY")) {
            throw PackagerException.badInput(source + ": " + file + " is a public key (.pub); signing needs the "
                    + "private key, the .key file beside it");
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            Set<PosixFilePermission> others = EnumSet.copyOf(permissions);
            others.removeAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE));
            if (!others.isEmpty()) {
                throw PackagerException.badInput(source + ": " + file + " is open to other users (mode "
                        + PosixFilePermissions.toString(permissions) + "); a publisher key others can read signs "
                        + "for them too: chmod 600 " + file + " (and consider the key exposed if they could read it)");
            }
        } catch (UnsupportedOperationException e) {
            // no POSIX permissions on this file system: nothing to check
        } catch (IOException e) {
            throw PackagerException.badInput(source + ": cannot read " + file + " (" + describe(e) + ")");
        }
        try {
            PrivateKey key = Ed25519Keys.privateKey(pem);
            return new SigningKey(file, key, Ed25519Keys.publicKeyOf(key));
        } catch (IllegalArgumentException e) {
            throw PackagerException.badInput(source + ": " + file + " is " + e.getMessage());
        }
    }

    /**
     * The key set to embed ({@code --publisher-keys}): each item a {@code .pub} file, or an {@code ed25519:...}
     * line itself.
     */
    static PublisherKeySet readKeySet(String items, long serial, PackagerEnvironment environment) {
        if (serial < 1) {
            throw PackagerException.badInput("--key-serial must be 1 or more, not " + serial + ", and above the "
                    + "serial of every set published before (agents take only a higher one)");
        }
        List<String> texts = new ArrayList<>();
        for (String item : items.split(",")) {
            String trimmed = item.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            texts.add(trimmed.startsWith(Ed25519Keys.PUBLIC_PREFIX) ? checkedKey(trimmed, "--publisher-keys")
                    : readPublicKey(environment.resolve(trimmed)));
        }
        if (texts.isEmpty()) {
            throw PackagerException.badInput("--publisher-keys names no key: give the .pub files of every key the "
                    + "devices are to trust from now on, comma-separated");
        }
        return new PublisherKeySet(serial, PublisherKeys.parse(texts).texts());
    }

    /** The {@code ed25519:...} line of a {@code .pub} file (blank lines and {@code #} comments are skipped). */
    static String readPublicKey(Path file) {
        List<String> lines;
        try {
            if (Files.isRegularFile(file) && Files.size(file) > MAX_KEY_FILE_BYTES) {
                throw PackagerException.badInput("--publisher-keys: " + file + " is larger than a .pub file");
            }
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw PackagerException.badInput("--publisher-keys: cannot read " + file + " (" + describe(e) + "): "
                    + "name the .pub files create_update.sh keygen wrote");
        }
        List<String> keys = lines.stream().map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#"))
                .toList();
        if (keys.size() != 1) {
            throw PackagerException.badInput("--publisher-keys: " + file + " holds " + (keys.isEmpty() ? "no key"
                    : keys.size() + " lines") + "; a .pub file holds one line, ed25519:BASE64"
                    + (lines.stream().anyMatch(line -> line.contains("PRIVATE KEY"))
                    ? " (this is a private key: never hand it out; give its .pub file)" : ""));
        }
        return checkedKey(keys.get(0), "--publisher-keys: " + file);
    }

    private static String checkedKey(String text, String source) {
        try {
            return Ed25519Keys.text(Ed25519Keys.publicKey(text));
        } catch (IllegalArgumentException e) {
            throw PackagerException.badInput(source + ": " + e.getMessage());
        }
    }

    /** {@code ZIP.sig}: where a package's detached signature lives. */
    static Path signatureFile(Path zip) {
        return zip.resolveSibling(zip.getFileName() + ".sig");
    }

    /** Writes the {@code .sig} beside the package, replacing an older one at once (temporary file and rename). */
    static Path writeSignature(Path zip, PublisherSignature signature) throws IOException {
        Path file = signatureFile(zip);
        Path temp = Files.createTempFile(file.toAbsolutePath().getParent(), ".sig-", ".tmp");
        try {
            Files.writeString(temp, ServerConnection.JSON.writeValueAsString(signature) + "\n",
                    StandardCharsets.UTF_8);
            try {
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // no POSIX modes here; a signature is public anyway
            }
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** The {@code .sig} beside {@code zip}, when there is one. */
    static PublisherSignature readSignature(Path file) {
        try {
            if (Files.size(file) > MAX_KEY_FILE_BYTES) {
                throw PackagerException.badInput(file + " is too large for a signature file");
            }
            PublisherSignature signature = ServerConnection.JSON.readValue(Files.readString(file,
                    StandardCharsets.UTF_8), PublisherSignature.class);
            if (signature == null || signature.keyId() == null || signature.signature() == null) {
                throw PackagerException.badInput(file + " is not a signature ({\"key_id\":..., \"signature\":...}): "
                        + "sign the package again with create_update.sh sign");
            }
            return signature;
        } catch (IOException e) {
            throw PackagerException.badInput("cannot read " + file + " (" + describe(e) + ")");
        } catch (tools.jackson.core.JacksonException e) {
            throw PackagerException.badInput(file + " is not a signature ({\"key_id\":..., \"signature\":...}): sign "
                    + "the package again with create_update.sh sign");
        }
    }

    private static void createNew(Path file, String content, String mode) throws IOException {
        try (FileChannel channel = FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), posixAttribute(file, mode))) {
            OutputStream out = Channels.newOutputStream(channel);
            out.write(content.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            channel.force(true);
        }
        try {
            // the umask may have taken bits away from 0644; a .pub is meant to be read by anyone
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        } catch (UnsupportedOperationException e) {
            // no POSIX modes here
        }
    }

    private static FileAttribute<?>[] posixAttribute(Path path, String mode) {
        Path existing = path.toAbsolutePath().getParent();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        boolean posix = existing != null && existing.getFileSystem().supportedFileAttributeViews().contains("posix");
        return posix ? new FileAttribute<?>[]{PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                mode))} : new FileAttribute<?>[0];
    }

    private static String describe(IOException e) {
        if (e instanceof FileAlreadyExistsException) {
            return "it already exists";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
