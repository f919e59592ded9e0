package dev.javia.ota.agent.system;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Whether an earlier dpkg run was cut short (a power cut, a kill during an update's apt-get or unattended-upgrades'),
 * read from dpkg's own database ({@code /var/lib/dpkg}) as apt reads it: journal files left in {@code updates/}
 * (apt's "dpkg was interrupted, you must manually run 'dpkg --configure -a'"), or a package whose status is
 * half-installed, half-configured or still waiting for its triggers. Reading files, not running a command: it asks
 * nothing of dpkg's lock, which unattended-upgrades may hold.
 */
public final class DpkgStatus {

    /** Never says interrupted: for tests and sandboxes that have no dpkg of their own to read. */
    public static final DpkgStatus UNREAD = new DpkgStatus(null);

    private static final Logger LOG = Logger.getLogger(DpkgStatus.class.getName());

    private final Path adminDir;

    /** @param adminDir dpkg's database, {@code /var/lib/dpkg} on Debian */
    public DpkgStatus(Path adminDir) {
        this.adminDir = adminDir;
    }

    /** Why dpkg needs {@code dpkg --configure -a} before the next apt step; empty when it does not (or is unread). */
    public Optional<String> interruption() {
        if (adminDir == null) {
            return Optional.empty();
        }
        Path updates = adminDir.resolve("updates");
        if (Files.isDirectory(updates)) {
            try (DirectoryStream<Path> pending = Files.newDirectoryStream(updates, "[0-9]*")) {
                if (pending.iterator().hasNext()) {
                    return Optional.of("dpkg's journal " + updates + " holds entries of a run that was cut short");
                }
            } catch (IOException e) {
                LOG.warning("cannot read " + updates + ": " + e.getMessage());
            }
        }
        Path status = adminDir.resolve("status");
        if (Files.isRegularFile(status)) {
            try (BufferedReader lines = Files.newBufferedReader(status, StandardCharsets.UTF_8)) {
                String package_ = "";
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.startsWith("Package: ")) {
                        package_ = line.substring("Package: ".length()).strip();
                    } else if (line.startsWith("Status: ") && halfDone(line)) {
                        return Optional.of("package " + package_ + " is " + line.substring(line.lastIndexOf(' ') + 1)
                                + " in " + status);
                    }
                }
            } catch (IOException e) {
                LOG.warning("cannot read " + status + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** "Status: install ok half-configured": the third word is the state dpkg left the package in. */
    private static boolean halfDone(String line) {
        return line.endsWith(" half-installed") || line.endsWith(" half-configured")
                || line.endsWith(" triggers-awaited") || line.endsWith(" unpacked") && line.contains(" install ");
    }
}
