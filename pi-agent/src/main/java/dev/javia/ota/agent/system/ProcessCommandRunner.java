package dev.javia.ota.agent.system;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs commands as child processes: stdout and stderr merged and captured (the last {@value #KEEP_BYTES} bytes),
 * the timeout enforced by killing the process and its descendants. While it waits it calls {@code whileWaiting}
 * every few seconds, so the systemd watchdog is fed during a long {@code apt-get} but not when the agent hangs.
 */
public final class ProcessCommandRunner implements CommandRunner {

    static final int KEEP_BYTES = 16 * 1024;
    private static final Logger LOG = Logger.getLogger(ProcessCommandRunner.class.getName());
    private static final Duration SLICE = Duration.ofSeconds(5);

    private final Runnable whileWaiting;

    public ProcessCommandRunner(Runnable whileWaiting) {
        this.whileWaiting = whileWaiting;
    }

    public ProcessCommandRunner() {
        this(() -> {
        });
    }

    @Override
    public CommandResult run(Command command) {
        ProcessBuilder builder = new ProcessBuilder(command.argv()).redirectErrorStream(true);
        builder.environment().putAll(command.environment());
        if (command.directory() != null) {
            builder.directory(command.directory().toFile());
        }
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return CommandResult.exit(127, command.program() + ": cannot run (" + e.getMessage() + ")");
        }
        OutputTail tail = new OutputTail(process.getInputStream());
        Thread reader = new Thread(tail, "output of " + command.program());
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + command.timeout().toNanos();
        try {
            while (!process.waitFor(Math.min(SLICE.toNanos(), Math.max(0, deadline - System.nanoTime())),
                    TimeUnit.NANOSECONDS)) {
                if (System.nanoTime() - deadline >= 0) {
                    kill(process);
                    reader.join(SLICE.toMillis());
                    return new CommandResult(-1, tail.text(), true);
                }
                whileWaiting.run();
            }
            reader.join(SLICE.toMillis());
            return CommandResult.exit(process.exitValue(), tail.text());
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            return new CommandResult(-1, tail.text() + "\ninterrupted", true);
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(SLICE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Keeps the end of a stream, where the error usually is, within a fixed amount of memory. */
    private static final class OutputTail implements Runnable {
        private final InputStream in;
        private final byte[] ring = new byte[KEEP_BYTES];
        private long written;

        OutputTail(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    synchronized (this) {
                        for (int i = 0; i < n; i++) {
                            ring[(int) (written++ % KEEP_BYTES)] = buffer[i];
                        }
                    }
                }
            } catch (IOException e) {
                LOG.log(Level.FINE, "output stream closed", e);
            }
        }

        synchronized String text() {
            if (written <= KEEP_BYTES) {
                return new String(ring, 0, (int) written, StandardCharsets.UTF_8);
            }
            int start = (int) (written % KEEP_BYTES);
            byte[] ordered = new byte[KEEP_BYTES];
            System.arraycopy(ring, start, ordered, 0, KEEP_BYTES - start);
            System.arraycopy(ring, 0, ordered, KEEP_BYTES - start, start);
            return new String(ordered, StandardCharsets.UTF_8);
        }
    }
}
