package dev.javia.ota.agent.update;

import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An SD card's state files stay small: each one written while an update runs (and fails with a command that printed
 * a 16 KB line, the most the runner keeps) stays under {@value #BOUND} bytes, so that every write of a step is one
 * small block, whatever a command or an app said.
 */
class StateFileSizeTests {

    static final int BOUND = 8 * 1024;

    @Test
    void everyStateFileStaysSmallThroughAnUpdateThatFailsWithAHugeMessage(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.runner.answer(List.of("apt-get", "-o", "DPkg::Lock::Timeout=120", "install"),
                    CommandResult.exit(100, "E: " + "x".repeat(16 * 1024)));
            Map<String, Long> largest = new TreeMap<>();
            device.afterSave = name -> sizes(device.stateDir).forEach((file, size) -> largest.merge(file, size,
                    Math::max));
            device.publish("v1.1.0", UpdateType.URGENT, List.of("libopus0"));

            device.runToIdle(device.machine());

            assertThat(device.server.reports()).last().satisfies(report -> assertThat(report.errorMessage())
                    .startsWith("system-packages: apt-get install libopus0 failed").hasSizeLessThanOrEqualTo(
                            UpdateJob.MAX_FAILURE));
            assertThat(largest).containsKeys(StateFile.NAME, StatusOutbox.NAME)
                    .allSatisfy((file, size) -> assertThat(size).as(file).isLessThanOrEqualTo(BOUND));
        }
    }

    /** The regular files directly in the state dir (the downloads in staging/ are not state). */
    private static Map<String, Long> sizes(Path stateDir) {
        Map<String, Long> sizes = new TreeMap<>();
        try (Stream<Path> files = Files.list(stateDir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                sizes.put(file.getFileName().toString(), Files.size(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sizes;
    }
}
