package dev.javia.ota.agent.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.UUID;

/**
 * The two files of /proc the guard reads ({@code JAVIA_PROC}): {@code uptime}, which the test moves instead of
 * waiting five minutes, and {@code sys/kernel/random/boot_id}, which a {@link #reboot} changes.
 */
public final class FakeProc {

    private final Path root;
    private long uptimeSeconds;
    private String bootId;

    FakeProc(Path root) {
        this.root = root;
        this.uptimeSeconds = 100;
        this.bootId = UUID.randomUUID().toString();
        write();
    }

    public Path root() {
        return root;
    }

    public synchronized long uptimeSeconds() {
        return uptimeSeconds;
    }

    public synchronized String bootId() {
        return bootId;
    }

    /** Time passing on the device, as far as the guard can tell. */
    public synchronized void advance(Duration duration) {
        uptimeSeconds += duration.toSeconds();
        write();
    }

    /** A new boot: another boot id, the uptime from (nearly) zero. */
    public synchronized void reboot() {
        bootId = UUID.randomUUID().toString();
        uptimeSeconds = 7;
        write();
    }

    private void write() {
        try {
            replace(root.resolve("uptime"), uptimeSeconds + ".42 " + (uptimeSeconds * 3) + ".17\n");
            replace(root.resolve("sys/kernel/random/boot_id"), bootId + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The guard may read while the test writes: a whole file or the old one, never half. */
    private static void replace(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
