package dev.javia.ota.protocol.pkg;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * The content of one ZIP entry, checked against its manifest entry as it is read: it fails as soon as more bytes
 * come out than the manifest declares ({@code ZipFile} itself trusts the declared size, so a zip bomb would
 * otherwise inflate without end), and at the end when the size or the SHA-256 differ.
 */
final class VerifyingInputStream extends FilterInputStream {

    private final ManifestEntry expected;
    private final MessageDigest digest = Sha256.newDigest();
    private long count;
    private boolean verified;

    VerifyingInputStream(InputStream in, ManifestEntry expected) {
        super(in);
        this.expected = expected;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        // One byte beyond the declared size is enough to know the entry lies; never read further than that.
        long allowed = expected.size() - count + 1;
        int n = in.read(b, off, (int) Math.min(len, allowed));
        if (n < 0) {
            verifyAtEnd();
            return -1;
        }
        count += n;
        if (count > expected.size()) {
            throw new InvalidPackageException("entry '" + expected.entryName() + "' inflates to more than the "
                    + expected.size() + " bytes its manifest declares (a size lie or a zip bomb): rebuild the "
                    + "package with create_update");
        }
        digest.update(b, off, n);
        return n;
    }

    /** Skipped bytes are still read, counted and hashed: nothing may pass unverified. */
    @Override
    public long skip(long n) throws IOException {
        byte[] buffer = new byte[8192];
        long skipped = 0;
        while (skipped < n) {
            int read = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (read < 0) {
                break;
            }
            skipped += read;
        }
        return skipped;
    }

    /** Reads what the consumer left and checks size and digest; call once the consumer is done. */
    void drainAndVerify() throws IOException {
        byte[] buffer = new byte[8192];
        while (read(buffer, 0, buffer.length) >= 0) {
            // reading is the point: it counts and hashes
        }
    }

    private void verifyAtEnd() {
        if (verified) {
            return;
        }
        if (count != expected.size()) {
            throw new InvalidPackageException("entry '" + expected.entryName() + "' has " + count
                    + " bytes but the manifest says " + expected.size() + ": rebuild the package with create_update");
        }
        String actual = Sha256.hex(digest);
        if (!actual.equals(expected.sha256())) {
            throw new InvalidPackageException("entry '" + expected.entryName() + "' does not match its SHA-256 in "
                    + "the manifest (damaged or altered): rebuild the package with create_update");
        }
        verified = true;
    }
}
