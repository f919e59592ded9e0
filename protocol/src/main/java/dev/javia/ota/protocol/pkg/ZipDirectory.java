package dev.javia.ota.protocol.pkg;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.zip.ZipEntry;

/**
 * Reads a ZIP's structure, and refuses every ZIP that two readers could read differently. A package is written by
 * create_update in one pass, so its structure is fully determined: its entries follow each other from byte 0
 * without a gap, each local header says what its central directory record says (the data descriptor does, when
 * there is one), the central directory follows the last entry and the end record follows the central directory
 * and ends the file. Anything else (bytes before, between or after entries, entries that overlap or share data,
 * a header that names another file or size, comments, ZIP64, names in another encoding or with a second name in
 * an extra field) is what hides a second package inside the first, or a zip bomb, and is refused.
 *
 * <p>Only the end record, the central directory and the local headers are read, each bounded by
 * {@link PackageLimits}; never the entries' data. Public for {@code dev.javia.ota.protocol.delta}, which reads deltas with the same rules.
 */
public final class ZipDirectory {

    private static final int END_SIGNATURE = 0x06054b50;
    private static final int END_SIZE = 22;
    private static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
    private static final int ZIP64_LOCATOR_SIZE = 20;
    private static final int CENTRAL_SIGNATURE = 0x02014b50;
    private static final int CENTRAL_SIZE = 46;
    private static final int LOCAL_SIGNATURE = 0x04034b50;
    private static final int LOCAL_SIZE = 30;
    private static final int DESCRIPTOR_SIGNATURE = 0x08074b50;
    private static final long ZIP64_MARKER = 0xFFFFFFFFL;
    private static final int ZIP64_EXTRA = 0x0001;
    private static final int UNICODE_PATH_EXTRA = 0x7075;
    private static final int FLAG_ENCRYPTED = 0x0001;
    private static final int FLAG_DESCRIPTOR = 0x0008;
    private static final int FLAG_UTF8 = 0x0800;
    /** Encrypted (refused by name), the deflate level hints (bits 1, 2), a data descriptor and UTF-8 names. */
    private static final int KNOWN_FLAGS = FLAG_ENCRYPTED | 0x0002 | 0x0004 | FLAG_DESCRIPTOR | FLAG_UTF8;
    private static final int UNIX_TYPE_MASK = 0170000;
    private static final int UNIX_SYMLINK = 0120000;

    /**
     * One entry as its central directory record describes it, once its local header has been found to agree.
     *
     * @param dataOffset where its compressed data starts (after the local header)
     */
    public record Entry(String name, int flags, int method, long crc, long compressedSize, long size, long localOffset,
                 int externalAttributes, long dataOffset) {

        public boolean directory() {
            return name.endsWith("/");
        }

        boolean symlink() {
            return (unixMode() & UNIX_TYPE_MASK) == UNIX_SYMLINK;
        }

        boolean encrypted() {
            return (flags & FLAG_ENCRYPTED) != 0;
        }

        /** The Unix {@code st_mode} in the upper half of the external attributes; 0 when the writer set none. */
        int unixMode() {
            return externalAttributes >>> 16;
        }

        boolean hasDescriptor() {
            return (flags & FLAG_DESCRIPTOR) != 0;
        }

        Entry at(long data) {
            return new Entry(name, flags, method, crc, compressedSize, size, localOffset, externalAttributes, data);
        }
    }

    private ZipDirectory() {
    }

    /**
     * @return the entries in central directory order
     * @throws InvalidPackageException when the ZIP is damaged, ambiguous or beyond the limits
     */
    public static List<Entry> read(FileChannel channel, PackageLimits limits) throws IOException {
        long fileSize = channel.size();
        long endPosition = findEnd(channel, fileSize);
        ByteBuffer end = readAt(channel, endPosition, END_SIZE);
        int disk = u16(end, 4);
        int directoryDisk = u16(end, 6);
        long entriesOnDisk = u16(end, 8);
        long entries = u16(end, 10);
        long directorySize = u32(end, 12);
        long directoryOffset = u32(end, 16);
        if (u16(end, 20) != 0) {
            throw refused("the ZIP has an archive comment, which a package never has (a place to hide data)");
        }
        if (entries == 0xFFFF || directorySize == ZIP64_MARKER || directoryOffset == ZIP64_MARKER
                || hasZip64Locator(channel, endPosition)) {
            throw zip64();
        }
        if (disk != 0 || directoryDisk != 0 || entriesOnDisk != entries) {
            throw refused("the ZIP claims to span several disks");
        }
        if (entries > limits.maxEntries()) {
            throw new InvalidPackageException("the package has " + entries + " entries, more than the limit of "
                    + limits.maxEntries() + ": package fewer files");
        }
        if (directorySize > limits.maxDirectoryBytes()) {
            throw new InvalidPackageException("the package's central directory is " + directorySize + " bytes, more "
                    + "than the limit of " + limits.maxDirectoryBytes() + ": package fewer files or use shorter names");
        }
        if (directoryOffset + directorySize > endPosition) {
            throw corrupt("its central directory lies outside the file");
        }
        if (directoryOffset + directorySize < endPosition) {
            throw refused("the ZIP has " + (endPosition - directoryOffset - directorySize) + " bytes between its "
                    + "central directory and its end record");
        }
        List<Entry> records = readRecords(channel, directoryOffset, directorySize, (int) entries, limits);
        return checkLayout(channel, records, directoryOffset);
    }

    private static List<Entry> readRecords(FileChannel channel, long offset, long size, int count,
                                           PackageLimits limits) throws IOException {
        // the whole directory at once: bounded by maxDirectoryBytes, and read once instead of record by record
        ByteBuffer directory = readAt(channel, offset, (int) size);
        List<Entry> records = new ArrayList<>(count);
        int position = 0;
        for (int i = 0; i < count; i++) {
            if (position + CENTRAL_SIZE > size || directory.getInt(position) != CENTRAL_SIGNATURE) {
                throw corrupt("its central directory is shorter than it says or has a damaged record");
            }
            int nameLength = u16(directory, position + 28);
            int extraLength = u16(directory, position + 30);
            int commentLength = u16(directory, position + 32);
            int recordSize = CENTRAL_SIZE + nameLength + extraLength + commentLength;
            if (position + recordSize > size) {
                throw corrupt("its central directory is shorter than it says");
            }
            if (nameLength > limits.maxNameBytes()) {
                throw new InvalidPackageException("an entry name is " + nameLength + " bytes long, more than "
                        + limits.maxNameBytes() + ": use shorter paths and rebuild the package with create_update");
            }
            records.add(record(directory, position, nameLength, extraLength, commentLength));
            position += recordSize;
        }
        if (position != size) {
            throw refused("the ZIP's central directory has " + (size - position) + " bytes after its " + count
                    + " records");
        }
        return records;
    }

    private static Entry record(ByteBuffer directory, int position, int nameLength, int extraLength,
                                int commentLength) {
        int flags = u16(directory, position + 8);
        int method = u16(directory, position + 10);
        long crc = u32(directory, position + 16);
        long compressedSize = u32(directory, position + 20);
        long size = u32(directory, position + 24);
        int startDisk = u16(directory, position + 34);
        int externalAttributes = directory.getInt(position + 38);
        long localOffset = u32(directory, position + 42);
        byte[] nameBytes = bytes(directory, position + CENTRAL_SIZE, nameLength);
        String name = decode(nameBytes, flags);
        if (commentLength != 0) {
            throw refused("entry '" + name + "' has a comment, which a package never has (a place to hide data)");
        }
        if (compressedSize == ZIP64_MARKER || size == ZIP64_MARKER || localOffset == ZIP64_MARKER) {
            throw zip64();
        }
        if (startDisk != 0) {
            throw refused("the ZIP claims to span several disks");
        }
        checkExtra(name, bytes(directory, position + CENTRAL_SIZE + nameLength, extraLength));
        if ((flags & FLAG_ENCRYPTED) != 0) {
            throw new InvalidPackageException("entry '" + name + "' is encrypted: build the package with "
                    + "create_update, without a password");
        }
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw refused("entry '" + name + "' has general purpose flags 0x" + Integer.toHexString(flags)
                    + " (only a data descriptor and UTF-8 names are read)");
        }
        if (method != ZipEntry.STORED && method != ZipEntry.DEFLATED) {
            throw new InvalidPackageException("entry '" + name + "' uses compression method " + method
                    + " (only stored and deflated are read): rebuild the package with create_update");
        }
        if (method == ZipEntry.STORED && (flags & FLAG_DESCRIPTOR) != 0) {
            throw refused("entry '" + name + "' is stored with a data descriptor, which a streaming reader cannot "
                    + "find the end of");
        }
        if (method == ZipEntry.STORED && compressedSize != size) {
            throw refused("entry '" + name + "' is stored but declares " + compressedSize + " bytes stored and "
                    + size + " bytes of content");
        }
        return new Entry(name, flags, method, crc, compressedSize, size, localOffset, externalAttributes, -1);
    }

    /**
     * The entries, in the order of their data, must tile the file from byte 0 to the central directory; each local
     * header must agree with its record. Returns the records with the offset of their data.
     */
    private static List<Entry> checkLayout(FileChannel channel, List<Entry> records, long directoryOffset)
            throws IOException {
        List<Integer> byOffset = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            byOffset.add(i);
        }
        byOffset.sort(Comparator.comparingLong(i -> records.get(i).localOffset()));
        Entry[] located = new Entry[records.size()];
        long expected = 0;
        Entry previous = null;
        for (int index : byOffset) {
            Entry record = records.get(index);
            long offset = record.localOffset();
            if (offset < expected) {
                throw refused("entries '" + previous.name() + "' and '" + record.name() + "' overlap (entries that "
                        + "share bytes are how a small zip bomb unpacks to gigabytes)");
            }
            if (offset > expected) {
                throw refused(previous == null
                        ? "the ZIP has " + offset + " bytes before its first entry"
                        : "the ZIP has " + (offset - expected) + " bytes between entries '" + previous.name()
                                + "' and '" + record.name() + "'");
            }
            Entry withData = checkLocalHeader(channel, record, directoryOffset);
            expected = endOfEntry(channel, withData, directoryOffset);
            located[index] = withData;
            previous = record;
        }
        if (expected != directoryOffset) {
            throw refused("the ZIP has " + (directoryOffset - expected) + " bytes between its last entry and its "
                    + "central directory");
        }
        return Arrays.asList(located);
    }

    private static Entry checkLocalHeader(FileChannel channel, Entry record, long directoryOffset)
            throws IOException {
        long offset = record.localOffset();
        if (offset + LOCAL_SIZE > directoryOffset) {
            throw corrupt("the local header of '" + record.name() + "' lies outside its entries");
        }
        ByteBuffer header = readAt(channel, offset, LOCAL_SIZE);
        if (header.getInt(0) != LOCAL_SIGNATURE) {
            throw corrupt("entry '" + record.name() + "' has no local header where its record says");
        }
        int flags = u16(header, 6);
        int method = u16(header, 8);
        long crc = u32(header, 14);
        long compressedSize = u32(header, 18);
        long size = u32(header, 22);
        int nameLength = u16(header, 26);
        int extraLength = u16(header, 28);
        long dataOffset = offset + LOCAL_SIZE + nameLength + extraLength;
        if (dataOffset > directoryOffset) {
            throw corrupt("the local header of '" + record.name() + "' lies outside its entries");
        }
        ByteBuffer variable = readAt(channel, offset + LOCAL_SIZE, nameLength + extraLength);
        byte[] name = bytes(variable, 0, nameLength);
        if (!Arrays.equals(name, record.name().getBytes(StandardCharsets.UTF_8))) {
            throw disagree(record, "another name");
        }
        if (flags != record.flags()) {
            throw disagree(record, "other flags");
        }
        if (method != record.method()) {
            throw disagree(record, "another compression method");
        }
        // with a data descriptor the local header may leave CRC and sizes zero; the descriptor must then agree
        boolean descriptor = record.hasDescriptor();
        if (!(crc == record.crc() || (descriptor && crc == 0))) {
            throw disagree(record, "another CRC-32");
        }
        if (!(compressedSize == record.compressedSize() || (descriptor && compressedSize == 0))
                || !(size == record.size() || (descriptor && size == 0))) {
            throw disagree(record, "other sizes");
        }
        checkExtra(record.name(), bytes(variable, nameLength, extraLength));
        return record.at(dataOffset);
    }

    /** Where the entry ends: after its data, and after its data descriptor when it has one. */
    private static long endOfEntry(FileChannel channel, Entry entry, long directoryOffset) throws IOException {
        long dataEnd = entry.dataOffset() + entry.compressedSize();
        if (dataEnd > directoryOffset) {
            throw refused("the data of entry '" + entry.name() + "' runs into the central directory");
        }
        if (!entry.hasDescriptor()) {
            return dataEnd;
        }
        if (dataEnd + 12 > directoryOffset) {
            throw corrupt("the data descriptor of '" + entry.name() + "' is missing");
        }
        ByteBuffer descriptor = readAt(channel, dataEnd, (int) Math.min(16, directoryOffset - dataEnd));
        int base = descriptor.getInt(0) == DESCRIPTOR_SIGNATURE && descriptor.limit() == 16 ? 4 : 0;
        if (u32(descriptor, base) != entry.crc()
                || u32(descriptor, base + 4) != entry.compressedSize()
                || u32(descriptor, base + 8) != entry.size()) {
            throw refused("the data descriptor of '" + entry.name() + "' gives another CRC-32 or size than its "
                    + "central directory record (two ZIP readers would see two different packages)");
        }
        return dataEnd + base + 12;
    }

    private static void checkExtra(String name, byte[] extra) {
        ByteBuffer fields = ByteBuffer.wrap(extra).order(ByteOrder.LITTLE_ENDIAN);
        int position = 0;
        while (position < extra.length) {
            if (position + 4 > extra.length) {
                throw corrupt("the extra field of '" + name + "' is damaged");
            }
            int id = u16(fields, position);
            int length = u16(fields, position + 2);
            if (position + 4 + length > extra.length) {
                throw corrupt("the extra field of '" + name + "' is damaged");
            }
            if (id == ZIP64_EXTRA) {
                throw zip64();
            }
            if (id == UNICODE_PATH_EXTRA) {
                throw refused("entry '" + name + "' carries a second name (an Info-ZIP Unicode path field), which "
                        + "some readers use instead of its name");
            }
            position += 4 + length;
        }
    }

    private static boolean hasZip64Locator(FileChannel channel, long endPosition) throws IOException {
        return endPosition >= ZIP64_LOCATOR_SIZE
                && readAt(channel, endPosition - ZIP64_LOCATOR_SIZE, 4).getInt(0) == ZIP64_LOCATOR_SIGNATURE;
    }

    /**
     * Names are UTF-8 and say so (flag bit 11); a name with bytes beyond ASCII without the flag is CP437 to other
     * readers, and so another name.
     */
    private static String decode(byte[] name, int flags) {
        String decoded;
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(name));
            decoded = chars.toString();
        } catch (CharacterCodingException e) {
            throw new InvalidPackageException("an entry name is not UTF-8: rebuild the package with create_update");
        }
        if ((flags & FLAG_UTF8) == 0 && decoded.chars().anyMatch(c -> c >= 0x80)) {
            throw refused("entry '" + decoded + "' has a name beyond ASCII without the UTF-8 flag, which other ZIP "
                    + "readers decode as another name (CP437)");
        }
        return decoded;
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
                    && i + END_SIZE + u16(tail, i + 20) == tailSize) {
                return tailStart + i;
            }
        }
        throw notZip();
    }

    static ByteBuffer readAt(FileChannel channel, long position, int size) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw corrupt("it ends in the middle of a record");
            }
        }
        return buffer.flip();
    }

    private static int u16(ByteBuffer buffer, int position) {
        return Short.toUnsignedInt(buffer.getShort(position));
    }

    private static long u32(ByteBuffer buffer, int position) {
        return Integer.toUnsignedLong(buffer.getInt(position));
    }

    private static byte[] bytes(ByteBuffer buffer, int position, int length) {
        byte[] bytes = new byte[length];
        buffer.get(position, bytes);
        return bytes;
    }

    static InvalidPackageException notZip() {
        return new InvalidPackageException("the file is not a ZIP archive: upload the update_vX.Y.Z.zip that "
                + "create_update built");
    }

    static InvalidPackageException corrupt(String what) {
        return new InvalidPackageException("the ZIP is damaged (" + what + "): build the package again with "
                + "create_update and upload it again");
    }

    /** A structure create_update never writes: two readers could see two packages in it. */
    private static InvalidPackageException refused(String what) {
        return new InvalidPackageException(what + ": rebuild the package with create_update");
    }

    private static InvalidPackageException disagree(Entry record, String what) {
        return refused("the local header of entry '" + record.name() + "' gives " + what + " than its central "
                + "directory record (two ZIP readers would see two different packages)");
    }

    private static InvalidPackageException zip64() {
        return refused("the ZIP uses ZIP64, which no package needs (the package limits keep every package far "
                + "below 4 GiB and 65,535 entries)");
    }
}
