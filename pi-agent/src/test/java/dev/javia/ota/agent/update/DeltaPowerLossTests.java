package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.pkg.PackageLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Power loss on the delta's path, as {@link PowerLossTests} does it for the package's: a cut right after each state
 * is written, and at each durable step inside the assembly (a release half made, made whole, its metadata kept, the
 * release published); a new machine on the same disk must end on v1.1.0, assembled from the delta (a cut never
 * costs the full package), with nothing left in staging and no half release.
 */
class DeltaPowerLossTests {

    static IntStream cuts() {
        return IntStream.rangeClosed(1, DeltaUpdateTests.VIA_DELTA.size());
    }

    @Test
    void theSweepCoversEveryStepOfAnUninterruptedRun(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = newDevice(dir)) {
            device.runToIdle(device.machine());
            assertThat(device.chain).containsExactlyElementsOf(DeltaUpdateTests.VIA_DELTA);
        }
    }

    @ParameterizedTest(name = "cut after state {0}")
    @MethodSource("cuts")
    void endsOnTheAssembledReleaseWhereverThePowerIsCut(int k, @TempDir Path dir) throws IOException {
        try (DeviceFixture device = newDevice(dir)) {
            int[] saves = {0};
            device.afterSave = name -> {
                if (++saves[0] == k) {
                    throw new DeviceFixture.PowerCut("after saving " + name);
                }
            };
            assertThatThrownBy(() -> device.runToIdle(device.machine())).isInstanceOf(DeviceFixture.PowerCut.class);
            assertOnAWholeRelease(device);

            device.afterSave = name -> {
            };
            device.runToIdle(device.machine());

            assertEndsRight(device);
        }
    }

    /** The durable steps inside the assembling state, each a place the power can go. */
    enum Inside {
        /** some files of the new release written, not all */
        HALF_MADE,
        /** every file written and verified; the metadata not kept yet */
        MADE,
        /** the metadata kept beside it; the release not renamed into place */
        MANIFEST_KEPT,
        /** renamed into place; the next state not written */
        PUBLISHED
    }

    @ParameterizedTest(name = "cut inside assembling: {0}")
    @EnumSource(Inside.class)
    void aCutInsideTheAssemblyIsAssembledAgainFromTheKeptDelta(Inside where, @TempDir Path dir) throws IOException {
        try (DeviceFixture device = newDevice(dir)) {
            Deltas.Assembler real = device.assembler;
            device.assembler = (delta, current, target, limits, trust, sha) -> {
                if (where == Inside.HALF_MADE) {
                    Files.createDirectories(target.resolve("audio"));
                    Files.writeString(target.resolve("audio/model.bin"), "weig");
                    throw new DeviceFixture.PowerCut("while assembling");
                }
                var metadata = real.assemble(delta, current, target, limits, trust, sha);
                if (where.compareTo(Inside.MANIFEST_KEPT) >= 0) {
                    device.root.keepManifest("v1.1.0", Extracting.metadataBytes(delta, PackageLimits.defaults()));
                }
                if (where == Inside.PUBLISHED) {
                    device.root.publish("v1.1.0");
                }
                throw new DeviceFixture.PowerCut("after the assembly: " + where);
            };
            assertThatThrownBy(() -> device.runToIdle(device.machine())).isInstanceOf(DeviceFixture.PowerCut.class);
            assertOnAWholeRelease(device);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            Path kept = device.stateDir.resolve("staging").resolve(offerId(device) + ".delta.zip");
            assertThat(kept).as("the delta is kept for the assembly to start again").isRegularFile();

            device.assembler = real;
            device.runToIdle(device.machine());

            assertEndsRight(device);
            assertThat(device.chain).filteredOn("assembling"::equals).hasSize(2);
        }
    }

    @Test
    void aCutDuringTheDeltasDownloadResumesWhereItBrokeOff(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = newDevice(dir)) {
            byte[] whole = Files.readAllBytes(device.workDir.resolve("delta-v1.0.0-v1.1.0.zip"));
            Path part = device.stateDir.resolve("staging").resolve(offerId(device) + ".delta.zip");
            boolean[] cut = {false};
            device.afterSave = name -> {
                if (name.equals("downloading-delta") && !cut[0]) {
                    cut[0] = true;
                    try {
                        Files.createDirectories(part.getParent());
                        Files.write(part, Arrays.copyOf(whole, 1000));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    throw new DeviceFixture.PowerCut("during the delta's download");
                }
            };
            assertThatThrownBy(() -> device.runToIdle(device.machine())).isInstanceOf(DeviceFixture.PowerCut.class);

            device.runToIdle(device.machine());

            assertEndsRight(device);
            assertThat(device.server.requests().stream().filter(r -> r.getUrl().encodedPath().contains("/deltas/"))
                    .map(r -> r.getHeaders().get("Range"))).containsExactly("bytes=1000-");
            assertThat(DeltaUpdateTests.last(device).downloadedBytes()).isEqualTo(whole.length);
        }
    }

    /**
     * An agent that dies in the assembly at every start (out of memory, say) gives the delta up after
     * {@link UpdateMachine#MAX_STOPS_IN_STEP} stops, not the update: the full package installs, and says why.
     */
    @Test
    void anAgentThatDiesInTheAssemblyAtEveryStartFallsBackToTheFullPackage(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = newDevice(dir)) {
            device.afterSave = name -> {
                if (name.equals("assembling")) {
                    throw new DeviceFixture.PowerCut("out of memory in " + name);
                }
            };
            UpdateMachine machine = null;
            for (int start = 0; start < 10 && (machine == null || !machine.idle()); start++) {
                try {
                    machine = device.runToIdle(device.machine());
                } catch (DeviceFixture.PowerCut cut) {
                    machine = null;
                }
            }

            assertThat(machine).isNotNull();
            assertThat(device.chain).filteredOn("assembling"::equals).hasSize(UpdateMachine.MAX_STOPS_IN_STEP);
            StatusReport completed = DeltaUpdateTests.last(device);
            assertThat(completed.status()).isEqualTo(UpdateStatus.COMPLETED);
            assertThat(completed.delivery()).isEqualTo(StatusReport.FULL);
            assertThat(completed.errorMessage()).contains("the delta was not used: assembling: the agent stopped 3 "
                    + "times in this step");
            DeltaUpdateTests.assertInstalled(device, "v1.1.0", DeltaUpdateTests.oneFileChanged());
            DeltaUpdateTests.assertStagingEmpty(device);
        }
    }

    private static String offerId(DeviceFixture device) {
        return device.session.check().update() == null ? "none" : device.session.check().update().id().toString();
    }

    private static DeviceFixture newDevice(Path dir) throws IOException {
        DeviceFixture device = new DeviceFixture(dir);
        DeltaUpdateTests.arrange(device, DeltaUpdateTests.oneFileChanged());
        return device;
    }

    /** current names a whole release: v1.0.0 as installed, or v1.1.0 with every file of its manifest. */
    private static void assertOnAWholeRelease(DeviceFixture device) throws IOException {
        String target = device.currentTarget();
        assertThat(target).isIn("releases/v1.0.0", "releases/v1.1.0");
        if (target.endsWith("v1.0.0")) {
            DeltaUpdateTests.assertInstalled(device, "v1.0.0", DeltaUpdateTests.base());
        } else {
            DeltaUpdateTests.assertInstalled(device, "v1.1.0", DeltaUpdateTests.oneFileChanged());
        }
    }

    private static void assertEndsRight(DeviceFixture device) throws IOException {
        DeltaUpdateTests.assertInstalled(device, "v1.1.0", DeltaUpdateTests.oneFileChanged());
        List<UpdateStatus> reports = device.server.reportedStatuses();
        assertThat(reports).last().isEqualTo(UpdateStatus.COMPLETED);
        StatusReport completed = DeltaUpdateTests.last(device);
        assertThat(completed.delivery()).as("a cut never costs the full package").isEqualTo(StatusReport.DELTA);
        assertThat(completed.errorMessage()).isNull();
        assertThat(device.server.packageDownloads()).isZero();
        assertThat(device.root.manifest("v1.1.0")).isRegularFile();
        assertThat(device.root.partial("v1.1.0")).doesNotExist();
        DeltaUpdateTests.assertStagingEmpty(device);
    }
}
