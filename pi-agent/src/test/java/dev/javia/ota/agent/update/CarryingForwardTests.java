package dev.javia.ota.agent.update;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** An agent-only package's release: the current one's files shared by hard links, its own VERSION, nothing copied. */
class CarryingForwardTests {

    @Test
    void theNewReleaseSharesTheFilesKeepsTheLinksAndHasItsOwnVersion(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            Path old = device.root.release("v1.0.0");
            Files.createDirectories(old.resolve("venv/bin"));
            Files.createSymbolicLink(old.resolve("venv/bin/python3"), Path.of("/usr/bin/python3"));
            Files.writeString(old.resolve("venv/pyvenv.cfg"), "home = /usr/bin\n");
            device.publishAgent("v1.1.0", "v0.1.0", false, false);

            device.runToIdle(device.machine());

            Path carried = device.root.release("v1.1.0");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
            assertThat(device.versionFile()).isEqualTo("v1.1.0");
            assertThat(Files.readString(carried.resolve("VERSION"))).isEqualTo("v1.1.0\n");
            assertThat(Files.readString(old.resolve("VERSION"))).as("the previous release untouched")
                    .isEqualTo("v1.0.0\n");
            assertThat(inode(carried.resolve("client.py"))).isEqualTo(inode(old.resolve("client.py")));
            assertThat(inode(carried.resolve("venv/pyvenv.cfg"))).isEqualTo(inode(old.resolve("venv/pyvenv.cfg")));
            assertThat(Files.readSymbolicLink(carried.resolve("venv/bin/python3"))).isEqualTo(Path.of("/usr/bin/python3"));
            assertThat(device.root.partial("v1.1.0")).doesNotExist();
            assertThat(old).as("kept as the previous release").isDirectory();
            assertThat(device.commandLines()).as("the app keeps running: no restart").isEmpty();
        }
    }

    @Test
    void withoutACurrentReleaseThereIsNothingToCarryForward(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            Files.delete(device.root.current());
            device.publishAgent("v1.1.0", "v0.1.0", false, false);

            device.runToIdle(device.machine());

            assertThat(device.server.reports().get(device.server.reports().size() - 1).errorMessage())
                    .startsWith("carrying-forward: there is no current release to carry forward to v1.1.0")
                    .contains("publish an update with the app (pi_client/) first");
            assertThat(device.root.release("v1.1.0")).doesNotExist();
        }
    }

    private static Object inode(Path file) throws IOException {
        return Files.getAttribute(file, "unix:ino", LinkOption.NOFOLLOW_LINKS);
    }
}
