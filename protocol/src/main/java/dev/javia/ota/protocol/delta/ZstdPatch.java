package dev.javia.ota.protocol.delta;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdDictContentType;
import com.github.luben.zstd.ZstdDictDecompress;
import com.github.luben.zstd.ZstdException;
import dev.javia.ota.protocol.pkg.InvalidPackageException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * zstd patch-from in bounded memory. The new file is cut into chunks of {@link #CHUNK} bytes; chunk {@code k} (new
 * bytes {@code [k*CHUNK, (k+1)*CHUNK)}) is one zstd frame, compressed with the old file's bytes
 * {@code [k*CHUNK - MARGIN, (k+1)*CHUNK + MARGIN)} (clipped to the old file) as its raw-content dictionary, which is
 * what {@code zstd --patch-from} does for the whole file at once. The patch is the frames one after the other: a
 * valid {@code .zst} stream, each frame of which needs its own reference. A change that shifts content by more than
 * {@link #MARGIN} makes the chunks after it patch badly, and the builder then sends the file whole.
 *
 * <p>Why chunks: applying a patch needs its reference in memory. One frame against a 100 MB file would need the 100 MB
 * (mapped or read) and a decoding window as large: far beyond an agent's 64 MiB. Here applying holds one reference
 * window (at most {@code CHUNK + 2*MARGIN} = 8 MiB), read into one direct buffer reused for every chunk and handed to
 * zstd by reference (no copy, not on the heap), plus zstd's decoding buffer of at most one chunk. The old file is not
 * memory-mapped: mapped pages that are read count in the process's RSS ({@code RssFile}) until they are unmapped,
 * which Java does only when the buffer is collected; a 100 MB model would show as 100 MB more RSS.
 *
 * <p>If the native library cannot be loaded on this machine, {@link #available()} is false: the builder then sends
 * files whole, and the assembler refuses a delta with patches with a message that says so (the agent then installs
 * the full package). The system property {@value #DISABLE_PROPERTY}{@code =true} acts as if it could not.
 */
final class ZstdPatch {

    static final int CHUNK = 4 * 1024 * 1024;
    static final int MARGIN = 2 * 1024 * 1024;
    /** Large enough for a whole reference window and its chunk; frames that ask for more are refused. */
    private static final int WINDOW_LOG = 24;
    /**
     * Level 1 with a hash table of 2^20 entries: zstd loads at most 8 x the table's size of a dictionary (the suffix
     * beyond is ignored), so the table must span the whole reference window, 8 MiB. Measured on a 4 MiB chunk of
     * random bytes with 3 KB changed against its 8 MiB window: levels 1 and 2 give 3.4 KB in 40-80 ms, level 3
     * 8.2 KB in 100 ms, levels 6 and 9 0.5 MB (their default tables load less of the window), level 19 3.4 KB in
     * 3.3 s.
     */
    private static final int LEVEL = 1;
    private static final int HASH_LOG = 20;
    static final String DISABLE_PROPERTY = "javia.ota.delta.zstd.disabled";
    private static final int IO_BUFFER = 128 * 1024;

    private static volatile Boolean loaded;
    private static volatile String loadProblem;

    private ZstdPatch() {
    }

    static boolean available() {
        if (Boolean.getBoolean(DISABLE_PROPERTY)) {
            return false;
        }
        if (loaded == null) {
            synchronized (ZstdPatch.class) {
                if (loaded == null) {
                    try {
                        com.github.luben.zstd.util.Native.load();
                        loaded = true;
                    } catch (LinkageError | RuntimeException e) {
                        loadProblem = e.toString();
                        loaded = false;
                    }
                }
            }
        }
        return loaded;
    }

    /** Why {@link #available()} is false, for messages. */
    static String unavailableReason() {
        return Boolean.getBoolean(DISABLE_PROPERTY) ? DISABLE_PROPERTY + " is set"
                : "zstd-jni's native library could not be loaded on this machine (" + loadProblem + ")";
    }

    private static long referenceStart(long chunkStart) {
        return Math.max(0, chunkStart - MARGIN);
    }

    private static long referenceEnd(long chunkStart, long oldSize) {
        return Math.min(oldSize, chunkStart + CHUNK + MARGIN);
    }

    /**
     * Writes the patch that turns {@code old} into the {@code newSize} bytes of {@code updated} to {@code out}.
     *
     * @return the patch's size in bytes
     */
    static long create(FileChannel old, FileChannel updated, OutputStream out) throws IOException {
        long oldSize = old.size();
        long newSize = updated.size();
        long written = 0;
        try (ZstdCompressCtx ctx = new ZstdCompressCtx()) {
            for (long start = 0; start < newSize; start += CHUNK) {
                ctx.reset();
                ctx.setLevel(LEVEL);
                ctx.setWindowLog(WINDOW_LOG);
                ctx.setHashLog(HASH_LOG);
                ctx.setChecksum(false);
                ctx.setContentSize(true);
                ctx.setDictID(false);
                long refStart = referenceStart(start);
                long refEnd = referenceEnd(start, oldSize);
                if (refEnd > refStart) {
                    ctx.loadDict(readFully(old, refStart, (int) (refEnd - refStart)), ZstdDictContentType.RAW_CONTENT);
                }
                byte[] chunk = readFully(updated, start, (int) Math.min(CHUNK, newSize - start));
                byte[] frame = ctx.compress(chunk);
                out.write(frame);
                written += frame.length;
            }
        }
        return written;
    }

    /**
     * Writes the file that {@code patch} makes from {@code old} to {@code out}: exactly {@code newSize} bytes, or an
     * {@link InvalidPackageException} that names {@code what} (a damaged patch, one for another file, frames that ask
     * for more memory than a patch of this format may, data after the last frame).
     */
    static void apply(FileChannel old, InputStream patch, long newSize, WritableByteChannel out, String what)
            throws IOException {
        long oldSize = old.size();
        ByteBuffer reference = ByteBuffer.allocateDirect((int) Math.min(CHUNK + 2L * MARGIN, Math.max(1, oldSize)));
        ByteBuffer in = ByteBuffer.allocateDirect(IO_BUFFER);
        ByteBuffer output = ByteBuffer.allocateDirect(IO_BUFFER);
        byte[] heapIn = new byte[IO_BUFFER];
        in.limit(0);
        boolean inputEnded = false;
        try (ZstdDecompressCtx ctx = new ZstdDecompressCtx()) {
            for (long start = 0; start < newSize; start += CHUNK) {
                long chunkSize = Math.min(CHUNK, newSize - start);
                ctx.reset();
                ctx.setLongMax(WINDOW_LOG);
                long refStart = referenceStart(start);
                long refEnd = referenceEnd(start, oldSize);
                ZstdDictDecompress dictionary = null;
                if (refEnd > refStart) {
                    reference.clear().limit((int) (refEnd - refStart));
                    readFully(old, refStart, reference);
                    reference.flip();
                    dictionary = new ZstdDictDecompress(reference, true, ZstdDictContentType.RAW_CONTENT);
                    ctx.loadDict(dictionary);
                }
                try {
                    long produced = 0;
                    boolean frameEnded = false;
                    while (!frameEnded) {
                        if (!in.hasRemaining()) {
                            int n = patch.read(heapIn);
                            if (n < 0) {
                                inputEnded = true;
                                throw damaged(what, "it ends in the middle of the chunk at byte " + start);
                            }
                            in.clear();
                            in.put(heapIn, 0, n).flip();
                        }
                        output.clear();
                        try {
                            frameEnded = ctx.decompressDirectByteBufferStream(output, in);
                        } catch (ZstdException e) {
                            throw damaged(what, "zstd: " + e.getMessage());
                        }
                        output.flip();
                        produced += output.remaining();
                        if (produced > chunkSize) {
                            throw damaged(what, "its chunk at byte " + start + " makes more than " + chunkSize
                                    + " bytes");
                        }
                        while (output.hasRemaining()) {
                            out.write(output);
                        }
                    }
                    if (produced != chunkSize) {
                        throw damaged(what, "its chunk at byte " + start + " makes " + produced + " bytes, not "
                                + chunkSize);
                    }
                } finally {
                    if (dictionary != null) {
                        ctx.reset(); // lets go of the dictionary, which cannot be closed while referenced
                        dictionary.close();
                    }
                }
            }
        }
        if (in.hasRemaining() || (!inputEnded && patch.read() != -1)) {
            throw damaged(what, "it has data after the " + ((newSize + CHUNK - 1) / CHUNK) + " chunks of a "
                    + newSize + "-byte file");
        }
    }

    private static InvalidPackageException damaged(String what, String why) {
        return new InvalidPackageException("the patch of '" + what + "' in the delta is damaged or not for this file ("
                + why + ")");
    }

    private static byte[] readFully(FileChannel channel, long position, int size) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(size);
        readFully(channel, position, buffer);
        return buffer.array();
    }

    private static void readFully(FileChannel channel, long position, ByteBuffer buffer) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw new IOException("the file ended while its bytes at " + at + " were read (was it changed?)");
            }
            at += n;
        }
    }
}
