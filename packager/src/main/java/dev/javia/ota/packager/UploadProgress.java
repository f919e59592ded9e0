package dev.javia.ota.packager;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Shows how an upload goes: a bar redrawn in place (bytes, percent, rate) when a person watches a terminal, and a
 * plain line at each quarter when the output goes to a log, where carriage returns would be noise.
 * Called from the HTTP client's threads, hence synchronized.
 */
final class UploadProgress {

    private static final long REDRAW_NANOS = 100_000_000L;
    private static final int BAR_WIDTH = 30;

    private final PrintWriter err;
    private final boolean interactive;
    private final LongSupplier nanoTime;
    private long total;
    private long startNanos;
    private long lastDrawNanos;
    private int lastQuarter;
    private boolean drawn;

    UploadProgress(PrintWriter err, boolean interactive, LongSupplier nanoTime) {
        this.err = err;
        this.interactive = interactive;
        this.nanoTime = nanoTime;
    }

    /** A new attempt: counting starts again from zero. */
    synchronized void start(long totalBytes) {
        endLine();
        total = totalBytes;
        startNanos = nanoTime.getAsLong();
        lastDrawNanos = Long.MIN_VALUE;
        lastQuarter = 0;
    }

    synchronized void sent(long bytes) {
        long now = nanoTime.getAsLong();
        if (interactive) {
            if (bytes >= total || lastDrawNanos == Long.MIN_VALUE || now - lastDrawNanos >= REDRAW_NANOS) {
                lastDrawNanos = now;
                err.print("\r" + bar(bytes) + "  " + figures(bytes, now));
                err.flush();
                drawn = true;
            }
            return;
        }
        int quarter = total <= 0 ? 4 : (int) Math.min(4, bytes * 4 / total);
        if (quarter > lastQuarter) {
            lastQuarter = quarter;
            err.println("uploaded " + figures(bytes, now));
            err.flush();
        }
    }

    /** Ends the bar's line, so that what follows starts on a line of its own. */
    synchronized void endLine() {
        if (drawn) {
            err.println();
            err.flush();
            drawn = false;
        }
    }

    private String bar(long bytes) {
        int filled = total <= 0 ? BAR_WIDTH : (int) (bytes * BAR_WIDTH / total);
        return "[" + "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled) + "]";
    }

    private String figures(long bytes, long now) {
        long percent = total <= 0 ? 100 : bytes * 100 / total;
        double seconds = Math.max(1e-3, (now - startNanos) / 1e9);
        return String.format(Locale.ROOT, "%3d%%  %s of %s  %s/s", percent, human(bytes), human(total),
                human((long) (bytes / seconds)));
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
