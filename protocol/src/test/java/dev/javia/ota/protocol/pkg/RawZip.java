package dev.javia.ota.protocol.pkg;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;

/**
 * Writes a ZIP field by field. By default it writes what {@code java.util.zip.ZipOutputStream} writes (deflated
 * entries, UTF-8 names, a data descriptor with its signature, no extra fields), so that each hostile case in
 * {@link HostilePackages} changes exactly one field: the lie under test.
 */
final class RawZip {

    static final int FLAG_DESCRIPTOR = 0x0008;
    static final int FLAG_UTF8 = 0x0800;

    /** One entry; a null field takes its honest value when the ZIP is written. */
    static final class Entry {
        String name;
        byte[] nameBytes;
        byte[] content;
        int method = ZipEntry.DEFLATED;
        int flags = FLAG_DESCRIPTOR | FLAG_UTF8;
        /** The bytes stored as the entry's data; by default {@code content}, deflated when the method says so. */
        byte[] data;
        Long crc;
        Long compressedSize;
        Long size;
        int externalAttributes;
        int versionMadeBy = 20;
        byte[] centralExtra = new byte[0];
        byte[] localExtra = new byte[0];
        byte[] comment = new byte[0];
        /** Local header fields; by default the central ones (zero CRC and sizes with a data descriptor). */
        byte[] localName;
        Integer localFlags;
        Integer localMethod;
        Long localCrc;
        Long localCompressedSize;
        Long localSize;
        /** Data descriptor fields; by default the central ones. */
        Long descriptorCrc;
        Long descriptorSize;
        boolean descriptorSignature = true;
        /** Bytes written right after this entry (before the next one). */
        byte[] after = new byte[0];
        /** Where the central record says the local header is; by default where it was written. */
        Long centralOffset;
        /** Only a central record, no local entry: it points at another entry's header ({@link #centralOffset}). */
        boolean centralOnly;

        Entry(String name, byte[] content) {
            this.name = name;
            this.content = content;
        }

        Entry stored() {
            method = ZipEntry.STORED;
            flags = FLAG_UTF8;
            return this;
        }

        Entry unixMode(int mode) {
            versionMadeBy = 0x0300 | 20;
            externalAttributes = mode << 16;
            return this;
        }

        byte[] data() {
            if (data == null) {
                data = method == ZipEntry.DEFLATED ? deflate(content) : content;
            }
            return data;
        }

        long crc() {
            return crc != null ? crc : crc32(content);
        }

        long size() {
            return size != null ? size : content.length;
        }

        long compressedSize() {
            return compressedSize != null ? compressedSize : data().length;
        }

        byte[] nameBytes() {
            return nameBytes != null ? nameBytes : name.getBytes(StandardCharsets.UTF_8);
        }

        boolean descriptor() {
            return (flags & FLAG_DESCRIPTOR) != 0;
        }
    }

    final List<Entry> entries = new ArrayList<>();
    byte[] prefix = new byte[0];
    byte[] betweenDirectoryAndEnd = new byte[0];
    byte[] archiveComment = new byte[0];
    byte[] afterEnd = new byte[0];
    /** The entry count the end record gives; by default the number of central records. */
    Integer endEntries;
    int disk;

    /** The entries in order, as ZipOutputStream would write them. */
    static RawZip of(Map<String, byte[]> entries) {
        RawZip zip = new RawZip();
        entries.forEach(zip::add);
        return zip;
    }

    Entry add(String name, byte[] content) {
        Entry entry = new Entry(name, content);
        entries.add(entry);
        return entry;
    }

    Entry entry(String name) {
        return entries.stream().filter(e -> e.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no entry " + name));
    }

    Path write(Path file) throws IOException {
        Files.write(file, bytes());
        return file;
    }

    byte[] bytes() {
        Out out = new Out();
        out.bytes(prefix);
        long[] offsets = new long[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.centralOnly) {
                continue;
            }
            offsets[i] = out.size();
            boolean descriptor = e.descriptor();
            out.int32(0x04034b50);
            out.int16(20);
            out.int16(e.localFlags != null ? e.localFlags : e.flags);
            out.int16(e.localMethod != null ? e.localMethod : e.method);
            out.int32(0x00210000L); // 1980-01-01 00:00 in DOS time
            out.int32(e.localCrc != null ? e.localCrc : descriptor ? 0 : e.crc());
            out.int32(e.localCompressedSize != null ? e.localCompressedSize : descriptor ? 0 : e.compressedSize());
            out.int32(e.localSize != null ? e.localSize : descriptor ? 0 : e.size());
            byte[] localName = e.localName != null ? e.localName : e.nameBytes();
            out.int16(localName.length);
            out.int16(e.localExtra.length);
            out.bytes(localName);
            out.bytes(e.localExtra);
            out.bytes(e.data());
            if (descriptor) {
                if (e.descriptorSignature) {
                    out.int32(0x08074b50);
                }
                out.int32(e.descriptorCrc != null ? e.descriptorCrc : e.crc());
                out.int32(e.compressedSize());
                out.int32(e.descriptorSize != null ? e.descriptorSize : e.size());
            }
            out.bytes(e.after);
        }
        long directoryOffset = out.size();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            out.int32(0x02014b50);
            out.int16(e.versionMadeBy);
            out.int16(20);
            out.int16(e.flags);
            out.int16(e.method);
            out.int32(0x00210000L);
            out.int32(e.crc());
            out.int32(e.compressedSize());
            out.int32(e.size());
            out.int16(e.nameBytes().length);
            out.int16(e.centralExtra.length);
            out.int16(e.comment.length);
            out.int16(disk);
            out.int16(0);
            out.int32(e.externalAttributes);
            out.int32(e.centralOffset != null ? e.centralOffset : offsets[i]);
            out.bytes(e.nameBytes());
            out.bytes(e.centralExtra);
            out.bytes(e.comment);
        }
        long directorySize = out.size() - directoryOffset;
        out.bytes(betweenDirectoryAndEnd);
        int count = endEntries != null ? endEntries : entries.size();
        out.int32(0x06054b50);
        out.int16(disk);
        out.int16(disk);
        out.int16(count);
        out.int16(count);
        out.int32(directorySize);
        out.int32(directoryOffset);
        out.int16(archiveComment.length);
        out.bytes(archiveComment);
        out.bytes(afterEnd);
        return out.toByteArray();
    }

    static byte[] deflate(byte[] content) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        deflater.setInput(content);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        return out.toByteArray();
    }

    static long crc32(byte[] content) {
        CRC32 crc = new CRC32();
        crc.update(content);
        return crc.getValue();
    }

    /** An extra field record: id, length, data. */
    static byte[] extra(int id, byte[] data) {
        ByteBuffer field = ByteBuffer.allocate(4 + data.length).order(ByteOrder.LITTLE_ENDIAN);
        field.putShort((short) id).putShort((short) data.length).put(data);
        return field.array();
    }

    /** Little-endian writing. */
    private static final class Out extends ByteArrayOutputStream {
        void int16(int value) {
            write(value & 0xFF);
            write((value >>> 8) & 0xFF);
        }

        void int32(long value) {
            int16((int) (value & 0xFFFF));
            int16((int) ((value >>> 16) & 0xFFFF));
        }

        void bytes(byte[] bytes) {
            write(bytes, 0, bytes.length);
        }
    }
}
