package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Disk space, before the download (the package and the margin, where the staging dir is) and before the extraction
 * (the manifest's total and the margin, where the releases are): a full SD card fails the update with both numbers,
 * before a byte is written. The free space comes from a stand-in that records where it was asked.
 */
class DiskSpaceTests {

    private static final long MB = 1_000_000;

    @Test
    void refusesADownloadThatWouldNotLeaveTheMarginFreeAndSaysBothNumbers(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.URGENT, List.of());
            long size = offer.sizeBytes();
            device.diskMargin = 50 * MB;
            device.usableBytes = size + 50 * MB - 1;

            device.runToIdle(device.machine());

            assertThat(device.spaceAsked).containsExactly(device.stateDir.resolve("staging"));
            assertThat(device.chain).containsSubsequence("downloading", "failed", "reporting", "done")
                    .doesNotContain("verifying");
            assertThat(device.server.requests()).noneMatch(request -> request.getUrl().encodedPath()
                    .endsWith("/download"));
            assertThat(device.server.reportedStatuses()).last().isEqualTo(UpdateStatus.FAILED);
            assertThat(device.server.reports()).last().satisfies(report -> assertThat(report.errorMessage())
                    .isEqualTo("downloading: not enough disk space to download v1.1.0: needs " + mb(size + 50 * MB)
                            + " (package " + mb(size) + " + 50.0 MB margin), " + mb(size + 50 * MB - 1) + " free on "
                            + device.stateDir.resolve("staging") + "; free some space (old logs, journalctl "
                            + "--vacuum-size) or lower DISK_MARGIN_MB"));
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
        }
    }

    @Test
    void aResumedDownloadNeedsOnlyWhatIsStillToCome(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.URGENT, List.of());
            long size = offer.sizeBytes();
            device.server.breakNextDownloadAfter((int) (size / 2));
            UpdateMachine machine = device.machine();
            device.tick(machine);
            long have = Files.size(device.stateDir.resolve("staging").resolve(offer.id() + ".zip"));
            assertThat(have).isPositive().isLessThan(size);
            device.diskMargin = 0;
            device.usableBytes = size - have;

            device.runToIdle(device.machine());

            assertThat(device.server.reportedStatuses()).last().isEqualTo(UpdateStatus.COMPLETED);
        }
    }

    @Test
    void refusesAnAgentReleaseThatWouldNotFitBesideTheAgentsBeforeTheAgentMoves(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publishAgent("v1.1.0", "v0.2.0", true, false);
            device.diskMargin = 50 * MB;
            Path agentReleases = device.agentHome.release("v0.2.0").getParent();
            device.usableAt = path -> path.equals(agentReleases) ? 50 * MB : 1000 * MB;

            device.runToIdle(device.machine());

            assertThat(device.spaceAsked).contains(agentReleases);
            assertThat(device.chain).containsSubsequence("agent-extracting", "failed", "reporting", "done")
                    .doesNotContain("agent-switching");
            assertThat(device.server.reports()).last().satisfies(report -> assertThat(report.errorMessage())
                    .startsWith("agent-extracting: not enough disk space to install agent v0.2.0: needs ")
                    .contains("50.0 MB margin), 50.0 MB free on " + agentReleases));
            assertThat(device.agentHome.release("v0.2.0")).doesNotExist();
            assertThat(device.runner.lines()).noneMatch(line -> line.contains("restart javia-ota-agent"));
        }
    }

    @Test
    void refusesAnExtractionThatWouldNotFitBesideTheReleasesBeforeUnpackingAnything(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publish("v1.1.0", UpdateType.URGENT, List.of());
            device.diskMargin = 50 * MB;
            // room for the download; beside the releases only the margin and a few bytes
            device.usableAt = path -> path.endsWith("releases") ? 50 * MB + 10 : 1000 * MB;

            device.runToIdle(device.machine());

            assertThat(device.spaceAsked).containsExactly(device.stateDir.resolve("staging"),
                    device.installDir.resolve("releases"));
            assertThat(device.chain).containsSubsequence("extracting", "failed").doesNotContain("switching");
            assertThat(device.installDir.resolve("releases/v1.1.0")).doesNotExist();
            assertThat(device.server.reports()).last().satisfies(report -> assertThat(report.errorMessage())
                    .startsWith("extracting: not enough disk space to extract v1.1.0: needs ")
                    .containsPattern("\\(the manifest's \\d+\\.\\d MB \\+ 50\\.0 MB margin\\), "
                            + "\\d+\\.\\d MB free on " + device.installDir.resolve("releases")));
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
        }
    }

    @Test
    void withRoomForBothTheUpdateGoesThroughAndBothPlacesWereAsked(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publish("v1.1.0", UpdateType.URGENT, List.of());

            device.runToIdle(device.machine());

            assertThat(device.server.reportedStatuses()).last().isEqualTo(UpdateStatus.COMPLETED);
            assertThat(device.spaceAsked).containsExactly(device.stateDir.resolve("staging"),
                    device.installDir.resolve("releases"));
        }
    }

    private static String mb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1_000_000.0);
    }
}
