package dev.javia.ota.protocol.pkg;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a ZIP's central directory record by record. {@link java.util.zip.ZipFile} hides the external attributes
 * (where a symlink entry is marked) and silently picks one of two entries with the same name; this reader sees
 * every record as it is, and {@link PackageInspector} checks that {@code ZipFile} sees the same names.
 * Only the end record, ZIP64 end record and the directory are read, streamed: never the whole file.
 */
final class ZipDirectory {

    private static final int END_SIGNATURE = 0x06054b50;
    private static final int END_SIZE = 22;
    private static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
    private static final int ZIP64_LOCATOR_SIZE = 20;
    private static final int ZIP64_END_SIGNATURE = 0x06064b50;
    private static final int CENTRAL_SIGNATURE = 0x02014b50;
    private static final int MAX_NAME_BYTES = 4096;
    private static final int UNIX_TYPE_MASK = 0170000;
    private static final int UNIX_SYMLINK = 0120000;

    /** One central directory record: what {@code ZipFile} does not show. */
    record Record(String name, int flags, int method, int externalAttributes) {

        boolean directory() {
            return name.endsWith("/");
        }

        boolean symlink() {
            return ((externalAttributes >>> 16) & UNIX_TYPE_MASK) == UNIX_SYMLINK;
        }

        boolean encrypted() {
            return (flags & 1) != 0;
        }
    }

    private ZipDirectory() {
    }

    /**
     * @throws InvalidPackageException when there is no well-formed central directory or it has too many entries
     */
    static List<Record> read(Path zip, int maxEntries) throws IOException {
        try (FileChannel channel = FileChannel.open(zip, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            long endPosition = findEnd(channel, fileSize);
            ByteBuffer end = readAt(channel, endPosition, END_SIZE);
            long entries = Short.toUnsignedInt(end.getShort(10));
            long directorySize = Integer.toUnsignedLong(end.getInt(12));
            long directoryOffset = Integer.toUnsignedLong(end.getInt(16));
            long directoryEnd = endPosition;
            if (entries == 0xFFFF || directorySize == 0xFFFFFFFFL || directoryOffset == 0xFFFFFFFFL) {
                long locatorPosition = endPosition - ZIP64_LOCATOR_SIZE;
                ByteBuffer locator = locatorPosition < 0 ? null : readAt(channel, locatorPosition, ZIP64_LOCATOR_SIZE);
                if (locator != null && locator.getInt(0) == ZIP64_LOCATOR_SIGNATURE) {
                    long zip64EndPosition = locator.getLong(8);
                    if (zip64EndPosition < 0 || zip64EndPosition + 56 > locatorPosition) {
                        throw corrupt("its ZIP64 end record points outside the file");
                    }
                    ByteBuffer zip64End = readAt(channel, zip64EndPosition, 56);
                    if (zip64End.getInt(0) != ZIP64_END_SIGNATURE) {
                        throw corrupt("its ZIP64 end record is missing");
                    }
                    entries = zip64End.getLong(32);
                    directorySize = zip64End.getLong(40);
                    directoryOffset = zip64End.getLong(48);
                    directoryEnd = zip64EndPosition;
                }
            }
            if (entries < 0 || entries > maxEntries) {
                throw new InvalidPackageException("the package has " + Long.toUnsignedString(entries)
                        + " entries, more than the limit of " + maxEntries + ": package fewer files");
            }
            if (directoryOffset < 0 || directorySize < 0 || directoryOffset + directorySize > directoryEnd) {
                throw corrupt("its central directory lies outside the file");
            }
            channel.position(directoryOffset);
            InputStream stream = new BufferedInputStream(Channels.newInputStream(channel), 64 * 1024);
            DataInputStream in = new DataInputStream(new BoundedStream(stream, directorySize));
            List<Record> records = new ArrayList<>((int) entries);
            for (long i = 0; i < entries; i++) {
                records.add(readRecord(in));
            }
            return records;
        }
    }

    private static Record readRecord(DataInputStream in) throws IOException {
        try {
            byte[] fixed = new byte[46];
            in.readFully(fixed);
            ByteBuffer header = ByteBuffer.wrap(fixed).order(ByteOrder.LITTLE_ENDIAN);
            if (header.getInt(0) != CENTRAL_SIGNATURE) {
                throw corrupt("its central directory has a damaged record");
            }
            int flags = Short.toUnsignedInt(header.getShort(8));
            int method = Short.toUnsignedInt(header.getShort(10));
            int nameLength = Short.toUnsignedInt(header.getShort(28));
            int extraLength = Short.toUnsignedInt(header.getShort(30));
            int commentLength = Short.toUnsignedInt(header.getShort(32));
            int externalAttributes = header.getInt(38);
            if (nameLength > MAX_NAME_BYTES) {
                throw new InvalidPackageException("an entry name is " + nameLength + " bytes long, more than "
                        + MAX_NAME_BYTES + ": rebuild the package with create_update");
            }
            byte[] name = new byte[nameLength];
            in.readFully(name);
            in.skipNBytes(extraLength + (long) commentLength);
            return new Record(decode(name), flags, method, externalAttributes);
        } catch (EOFException e) {
            throw corrupt("its central directory is shorter than it says");
        }
    }

    private static String decode(byte[] name) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(name));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new InvalidPackageException("an entry name is not UTF-8: rebuild the package with create_update");
        }
    }

    /**
     * The end record is the last thing in the file, followed only by its comment. Unlike {@code ZipFile}, bytes
     * after the comment are not tolerated: a package is written by create_update, not patched by hand.
     */
    private static long findEnd(FileChannel channel, long fileSize) throws IOException {
        if (fileSize < END_SIZE) {
            throw notZip();
        }
        int tailSize = (int) Math.min(fileSize, END_SIZE + 0xFFFFL);
        long tailStart = fileSize - tailSize;
        ByteBuffer tail = readAt(channel, tailStart, tailSize);
        for (int i = tailSize - END_SIZE; i >= 0; i--) {
            if (tail.getInt(i) == END_SIGNATURE
                    && i + END_SIZE + Short.toUnsignedInt(tail.getShort(i + 20)) == tailSize) {
                return tailStart + i;
            }
        }
        throw notZip();
    }

    private static ByteBuffer readAt(FileChannel channel, long position, int size) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw corrupt("it ends in the middle of a record");
            }
        }
        return buffer.flip();
    }

    static InvalidPackageException notZip() {
        return new InvalidPackageException("the file is not a ZIP archive: upload the update_vX.Y.Z.zip that "
                + "create_update built");
    }

    private static InvalidPackageException corrupt(String what) {
        return new InvalidPackageException("the ZIP is damaged (" + what + "): build the package again with "
                + "create_update and upload it again");
    }

    /** Stops reading at the end of the central directory, so a lying count cannot run into the rest of the file. */
    private static final class BoundedStream extends java.io.FilterInputStream {
        private long remaining;

        BoundedStream(InputStream in, long limit) {
            super(in);
            this.remaining = limit;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = in.skip(Math.min(n, remaining));
            remaining -= skipped;
            return skipped;
        }
    }
}
