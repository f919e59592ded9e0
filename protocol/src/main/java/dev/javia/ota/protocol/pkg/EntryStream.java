package dev.javia.ota.protocol.pkg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipEntry;

/**
 * The content of one entry, read from the bytes its central directory record names and no others. Unlike
 * {@code ZipFile.getInputStream}, it fails as soon as more comes out than the entry declares (a zip bomb cannot
 * inflate without end), and at the end unless the deflated data ended exactly at the entry's compressed size (a
 * second reader could otherwise see the bytes after it), the size is the declared one, the CRC-32 matches (which
 * {@code ZipFile} does not check) and so does the manifest's SHA-256, when one is given. Skipped bytes are read and
 * checked too ({@link InputStream#skip} reads). Memory: one 16 KiB buffer and one {@link Inflater}, freed by
 * {@link #close}. Public for {@code dev.javia.ota.protocol.delta}, which reads deltas with the same rules.
 */
public final class EntryStream extends InputStream {

    private static final int BUFFER = 16 * 1024;

    private final FileChannel channel;
    private final ZipDirectory.Entry entry;
    private final Inflater inflater;
    private final CRC32 crc = new CRC32();
    private final String sha256;
    private final MessageDigest digest;
    private final ByteBuffer input = ByteBuffer.allocate(BUFFER);
    private long position;
    private long unread;
    private long produced;
    private boolean ended;

    EntryStream(FileChannel channel, ZipDirectory.Entry entry) {
        this(channel, entry, null);
    }

    /** @param sha256 what the manifest gives for this file's content; null checks no digest */
    public EntryStream(FileChannel channel, ZipDirectory.Entry entry, String sha256) {
        this.sha256 = sha256;
        this.digest = sha256 == null ? null : Sha256.newDigest();
        this.channel = channel;
        this.entry = entry;
        this.inflater = entry.method() == ZipEntry.DEFLATED ? new Inflater(true) : null;
        this.position = entry.dataOffset();
        this.unread = entry.compressedSize();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (ended) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        int n = inflater == null ? readStored(b, off, len) : inflate(b, off, len);
        if (n < 0) {
            verifyAtEnd();
            ended = true;
            return -1;
        }
        produced += n;
        if (produced > entry.size()) {
            throw new InvalidPackageException("entry '" + entry.name() + "' inflates to more than the "
                    + entry.size() + " bytes it declares (a size lie or a zip bomb): rebuild the package with "
                    + "create_update");
        }
        crc.update(b, off, n);
        if (digest != null) {
            digest.update(b, off, n);
        }
        return n;
    }

    /** Reads what is left and checks it: whatever a consumer left unread is verified all the same. */
    public void readToEnd() throws IOException {
        byte[] buffer = new byte[BUFFER];
        while (read(buffer, 0, buffer.length) >= 0) {
            // reading is the point: it counts and checks
        }
    }

    @Override
    public void close() {
        if (inflater != null) {
            inflater.end();
        }
    }

    private int readStored(byte[] b, int off, int len) throws IOException {
        if (unread == 0) {
            return -1;
        }
        int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, unread)), position);
        if (n < 0) {
            throw ZipDirectory.corrupt("entry '" + entry.name() + "' is cut short");
        }
        position += n;
        unread -= n;
        return n;
    }

    private int inflate(byte[] b, int off, int len) throws IOException {
        while (!inflater.finished()) {
            if (inflater.needsDictionary()) {
                throw ZipDirectory.corrupt("entry '" + entry.name() + "' needs a preset dictionary");
            }
            if (inflater.needsInput()) {
                fill();
            }
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw ZipDirectory.corrupt("the deflated data of '" + entry.name() + "' is invalid: "
                        + e.getMessage());
            }
            if (n > 0) {
                return n;
            }
        }
        return -1;
    }

    private void fill() throws IOException {
        if (unread == 0) {
            throw ZipDirectory.corrupt("the deflated data of '" + entry.name() + "' is cut short: it does not "
                    + "end within its compressed size of " + entry.compressedSize() + " bytes");
        }
        input.clear().limit((int) Math.min(BUFFER, unread));
        int n = channel.read(input, position);
        if (n <= 0) {
            throw ZipDirectory.corrupt("entry '" + entry.name() + "' is cut short");
        }
        position += n;
        unread -= n;
        inflater.setInput(input.array(), 0, n);
    }

    private void verifyAtEnd() {
        if (inflater != null && (unread > 0 || inflater.getRemaining() > 0)) {
            throw new InvalidPackageException("the deflated data of entry '" + entry.name() + "' ends "
                    + (unread + inflater.getRemaining()) + " bytes before its compressed size (a second reader "
                    + "could see those bytes): rebuild the package with create_update");
        }
        if (produced != entry.size()) {
            throw new InvalidPackageException("entry '" + entry.name() + "' has " + produced + " bytes but declares "
                    + entry.size() + ": rebuild the package with create_update");
        }
        if (crc.getValue() != entry.crc()) {
            throw new InvalidPackageException("entry '" + entry.name() + "' does not match its CRC-32 (damaged or "
                    + "altered; other ZIP readers would refuse it): rebuild the package with create_update");
        }
        if (digest != null && !Sha256.hex(digest).equals(sha256)) {
            throw new InvalidPackageException("entry '" + entry.name() + "' does not match its SHA-256 in the "
                    + "manifest (damaged or altered): rebuild the package with create_update");
        }
    }
}
