package dev.javia.ota.agent.transport;

import dev.javia.ota.agent.system.Sleeper;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * {@code DOWNLOAD_MAX_KBPS}: the download's bandwidth cap, so that a package coming down a Pi's shared (or metered)
 * link leaves room for the voice assistant's own traffic. The download loop reads in small slices and, after each,
 * sleeps until the bytes so far are no longer ahead of the cap (measured on the monotonic clock from when the download
 * began); the sleep goes through the {@link Sleeper}, so a test records it instead of waiting.
 */
public final class DownloadPace {

    /** No cap: the loop never sleeps. */
    public static final DownloadPace NONE = new DownloadPace(0, duration -> {
    }, System::nanoTime);

    /** The longest single sleep: the loop then reads on, and says it is alive at least this often. */
    private static final long MAX_SLEEP_NANOS = Duration.ofSeconds(1).toNanos();

    private final long bytesPerSecond;
    private final Sleeper sleeper;
    private final LongSupplier nanoTime;

    /** @param bytesPerSecond the cap, 0 for none */
    public DownloadPace(long bytesPerSecond, Sleeper sleeper, LongSupplier nanoTime) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("a bandwidth cap is 0 (none) or more bytes a second");
        }
        this.bytesPerSecond = bytesPerSecond;
        this.sleeper = sleeper;
        this.nanoTime = nanoTime;
    }

    public boolean capped() {
        return bytesPerSecond > 0;
    }

    /** How many bytes to read at most at once: a tenth of a second's worth under a cap (1 KiB at least). */
    int slice(int buffer) {
        return capped() ? (int) Math.max(1024, Math.min(buffer, bytesPerSecond / 10)) : buffer;
    }

    /** One download's pacing, from now. */
    Run start() {
        return new Run(nanoTime.getAsLong());
    }

    /** The pacing of one download. */
    final class Run {
        private final long startedAt;
        private long bytes;

        private Run(long startedAt) {
            this.startedAt = startedAt;
        }

        /**
         * Counts {@code n} more bytes and sleeps until they are within the cap.
         *
         * @return whether it slept
         */
        boolean took(long n) throws InterruptedException {
            if (!capped()) {
                return false;
            }
            bytes += n;
            long ahead = startedAt + bytes * 1_000_000_000L / bytesPerSecond - nanoTime.getAsLong();
            if (ahead <= 0) {
                return false;
            }
            // one sleep per slice: what a short sleep leaves ahead is slept after the next slice
            sleeper.sleep(Duration.ofNanos(Math.min(ahead, MAX_SLEEP_NANOS)));
            return true;
        }
    }
}
