package dev.javia.ota.agent.update;

import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.RollbackStatement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The state file only gains fields: agents of either side of a change read each other's files, of any format older
 * or newer than their own.
 */
class StateFileTests {

    /** update-state.json as the agent wrote it before issue 11 (format 1): no format_version, no stop count. */
    private static final String FORMAT_1 = """
            {"state":"downloading","job":{"offer":{"id":"%s","version":"v1.1.0","update_type":"urgent",\
            "description":"test update","package_url":"%s","sha256":"%s","size_bytes":%d,\
            "requires_system_packages":true,"system_packages":["libopus0"]},"scheduled_for":"2025-06-01T11:59:00Z",\
            "offered_at":"2025-06-01T12:00:00Z","system_packages":[],"previous_version":null,"outcome":null,\
            "failure":null},"transitions":2}""";

    /** update-state.json as the agent wrote it before window_ends_at (format 2): a scheduled update, waiting. */
    private static final String FORMAT_2 = """
            {"format_version":2,"state":"waiting","job":{"offer":{"id":"%s","version":"v1.1.0",\
            "update_type":"scheduled","description":"test update","package_url":"%s","sha256":"%s","size_bytes":%d,\
            "requires_system_packages":false,"system_packages":[]},"scheduled_for":"2025-06-01T11:59:00Z",\
            "offered_at":"2025-06-01T12:00:00Z","system_packages":[],"previous_version":null,"outcome":null,\
            "failure":null},"transitions":1,"stops_in_step":0,"step_progress":0}""";

    /**
     * update-state.json as the agent wrote it before the rollback flag (format 3): the offer has no
     * {@code rollback}. {@code %s} is the state, then the offer's id, version, URL, SHA-256 and size.
     */
    private static final String FORMAT_3 = """
            {"format_version":3,"state":"%s","job":{"offer":{"id":"%s","version":"%s",\
            "update_type":"urgent","description":"test update","package_url":"%s","sha256":"%s","size_bytes":%d,\
            "requires_system_packages":false,"system_packages":[]},"scheduled_for":"2025-06-01T11:59:00Z",\
            "window_ends_at":null,"offered_at":"2025-06-01T12:00:00Z","system_packages":[],"previous_version":null,\
            "outcome":null,"failure":null},"transitions":%d,"stops_in_step":0,"step_progress":0}""";

    /**
     * update-state.json as the agent wrote it before signatures (format 4): the offer has {@code rollback} but no
     * {@code signature} or {@code rollback_statement}. {@code %s} as in {@link #FORMAT_3}.
     */
    private static final String FORMAT_4 = """
            {"format_version":4,"state":"%s","job":{"offer":{"id":"%s","version":"%s",\
            "update_type":"urgent","description":"test update","package_url":"%s","sha256":"%s","size_bytes":%d,\
            "requires_system_packages":false,"system_packages":[],"rollback":false},\
            "scheduled_for":"2025-06-01T11:59:00Z","offered_at":"2025-06-01T12:00:00Z","system_packages":[],\
            "previous_version":"v1.0.0"},"transitions":%d,"stops_in_step":0,"step_progress":0}""";

    /**
     * update-state.json as a newer agent might write it (format 9): fields this agent does not know at every level,
     * which it ignores. {@code %s} as in {@link #FORMAT_3}.
     */
    private static final String FORMAT_9 = """
            {"format_version":9,"state":"%s","boot_id":"3f1c","job":{"offer":{"id":"%s","version":"%s",\
            "update_type":"urgent","description":"test update","package_url":"%s","sha256":"%s","size_bytes":%d,\
            "requires_system_packages":false,"system_packages":[],"rollback":false,\
            "delta":{"from":"v1.0.0","sha256":"00"},"mirrors":["https://cdn.example/a.zip"]},\
            "scheduled_for":"2025-06-01T11:59:00Z","offered_at":"2025-06-01T12:00:00Z","system_packages":[],\
            "attempt":{"number":2}},"transitions":%d,"stops_in_step":0,"step_progress":0,"watchdog":{"misses":0}}""";

    /**
     * update-state.json as an agent of format 6 writes it in the middle of its own update: the job's agent part, in a
     * state an agent before self-updates does not know. {@code %s} as in {@link #FORMAT_3}.
     */
    private static final String FORMAT_6 = """
            {"format_version":6,"state":"%s","job":{"offer":{"id":"%s","version":"%s",\
            "update_type":"urgent","description":"test update","package_url":"%s","sha256":"%s","size_bytes":%d,\
            "requires_system_packages":false,"system_packages":[],"rollback":false},\
            "scheduled_for":"2025-06-01T11:59:00Z","offered_at":"2025-06-01T12:00:00Z","system_packages":[],\
            "previous_version":"v1.0.0","agent_version":"v0.2.0","agent_from":"v0.1.0","app_included":true},\
            "transitions":%d,"stops_in_step":0,"step_progress":0}""";

    /** The job as an agent of format 5 (before self-updates) reads it: no agent fields. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record FormatFiveJob(UpdateOffer offer, java.time.Instant scheduledFor, java.time.Instant windowEndsAt,
            java.time.Instant offeredAt, List<String> systemPackages, String previousVersion, UpdateStatus outcome,
            String failure) {
    }

    /** The snapshot as an agent of format 5 reads it. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record FormatFiveSnapshot(Integer formatVersion, String state, FormatFiveJob job, int transitions,
            Integer stopsInStep, Long stepProgress) {
    }

    /** The job as an agent of format 6 (before deltas) reads it: no delivery, no delta fields. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record FormatSixJob(UpdateOffer offer, java.time.Instant scheduledFor, java.time.Instant windowEndsAt,
            java.time.Instant offeredAt, List<String> systemPackages, String previousVersion, UpdateStatus outcome,
            String failure, String agentVersion, String agentFrom, Boolean appIncluded) {
    }

    /** The snapshot as an agent of format 6 reads it. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record FormatSixSnapshot(Integer formatVersion, String state, FormatSixJob job, int transitions,
            Integer stopsInStep, Long stepProgress) {
    }

    /** The snapshot as an agent of format 1 reads it. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record FormatOneSnapshot(String state, UpdateJob job, int transitions) {
    }

    @Test
    void anAgentResumesFromAFileOfFormatOne(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.URGENT, List.of("libopus0"));
            Path file = Files.createDirectories(device.stateDir).resolve(StateFile.NAME);
            Files.writeString(file, FORMAT_1.formatted(offer.id(), offer.packageUrl(), offer.sha256(),
                    offer.sizeBytes()));

            UpdateMachine machine = device.machine();
            assertThat(machine.current().name()).isEqualTo("downloading");
            assertThat(machine.transitions()).isEqualTo(3);
            StateFile.Snapshot resumed = new StateFile(device.stateDir, device.client.json()).load().orElseThrow();
            assertThat(resumed.formatVersion()).isEqualTo(StateFile.FORMAT_VERSION);
            assertThat(resumed.stopsInStep()).as("one stop in downloading, counted from a file that had none")
                    .isEqualTo(1);

            assertInstallsV110(device, machine);
        }
    }

    @Test
    void anAgentResumesFromAFileOfFormatTwoWithoutAWindowsEnd(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.SCHEDULED, List.of());
            Path file = Files.createDirectories(device.stateDir).resolve(StateFile.NAME);
            Files.writeString(file, FORMAT_2.formatted(offer.id(), offer.packageUrl(), offer.sha256(),
                    offer.sizeBytes()));

            UpdateMachine machine = device.machine();
            assertThat(machine.current().name()).isEqualTo("waiting");
            assertThat(machine.current().job().windowEndsAt()).as("none said: as from an older server").isNull();
            assertThat(machine.current().job().scheduledFor()).isEqualTo("2025-06-01T11:59:00Z");

            device.runToIdle(machine);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }

    @Test
    void anAgentOfFormatOneReadsTheNewFormat(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publish("v1.1.0", UpdateType.URGENT, List.of());
            device.afterSave = name -> {
                if (name.equals("verifying")) {
                    throw new DeviceFixture.PowerCut("in verifying");
                }
            };
            try {
                device.runToIdle(device.machine());
            } catch (DeviceFixture.PowerCut cut) {
                // the agent stopped in verifying; an older agent is started on its disk
            }

            String json = Files.readString(device.stateDir.resolve(StateFile.NAME));
            assertThat(json).contains("\"format_version\":" + StateFile.FORMAT_VERSION);
            FormatOneSnapshot old = device.client.json().readValue(json, FormatOneSnapshot.class);
            assertThat(old.state()).isEqualTo("verifying");
            assertThat(old.job().offer().version()).isEqualTo("v1.1.0");
            assertThat(old.transitions()).isEqualTo(3);
        }
    }

    @Test
    void anAgentResumesFromAFileOfFormatThreeWithoutTheRollbackFlag(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.URGENT, List.of());
            writeFormatThree(device, "waiting", offer, 1);

            UpdateMachine machine = device.machine();
            assertThat(machine.current().name()).as("a higher version passes the version rule").isEqualTo("waiting");
            assertThat(machine.current().job().offer().rollback()).as("absent: a plain update").isFalse();

            assertInstallsV110(device, machine);
        }
    }

    /**
     * An agent before the version rule took any offer; a lower version it was waiting to install, without the
     * rollback flag, is held to the rule by the agent of today before anything is downloaded.
     */
    @Test
    void aLowerVersionAnOlderAgentWasWaitingForIsRefusedOnResume(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.installRelease("v1.1.0");
            UpdateOffer offer = device.publish("v1.0.0", UpdateType.URGENT, List.of());
            writeFormatThree(device, "waiting", offer, 1);

            UpdateMachine machine = device.machine();
            assertThat(machine.current().name()).isEqualTo("reporting");

            device.runToIdle(machine);
            assertThat(device.server.reportedStatuses()).containsExactly(UpdateStatus.FAILED);
            assertThat(device.server.reports().get(0).errorMessage()).contains("the offer is not a rollback");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
            assertThat(device.root.release("v1.0.0")).isDirectory();
        }
    }

    @Test
    void anAgentResumesFromAFileOfFormatFourWithoutSignatureFields(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.URGENT, List.of());
            write(device, FORMAT_4, "downloading", offer, 2);

            UpdateMachine machine = device.machine();
            assertThat(machine.current().name()).isEqualTo("downloading");
            assertThat(machine.current().job().offer().signature()).as("absent: an unsigned offer").isNull();
            assertThat(machine.current().job().offer().rollbackStatement()).isNull();

            device.runToIdle(machine);
            assertThat(device.server.reportedStatuses()).containsExactly(UpdateStatus.DOWNLOADING,
                    UpdateStatus.INSTALLING, UpdateStatus.COMPLETED);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
        }
    }

    /** Keys pinned since the job was taken: the unsigned job is refused in verifying, as an unsigned offer is. */
    @Test
    void aFormatFourJobIsHeldToKeysPinnedSince(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.URGENT, List.of());
            write(device, FORMAT_4, "waiting", offer, 1);
            device.pinned = SignedPackageTests.keysOf(Ed25519Keys.generate());

            device.runToIdle(device.machine());

            assertThat(device.server.reportedStatuses()).containsExactly(UpdateStatus.DOWNLOADING, UpdateStatus.FAILED);
            assertThat(device.server.reports().get(1).errorMessage()).contains("package v1.1.0 is not signed");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
        }
    }

    @Test
    void anAgentResumesFromAFileOfANewerFormatWithFieldsItDoesNotKnow(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.URGENT, List.of());
            write(device, FORMAT_9, "waiting", offer, 1);

            StateFile.Snapshot snapshot = new StateFile(device.stateDir, device.client.json()).load().orElseThrow();
            assertThat(snapshot.formatVersion()).isEqualTo(9);
            assertThat(snapshot.job().offer().id()).isEqualTo(offer.id());

            UpdateMachine machine = device.machine();
            assertThat(machine.current().name()).isEqualTo("waiting");
            assertInstallsV110(device, machine);
        }
    }

    /** Format 5: the offer's signature and rollback statement survive a restart byte for byte. */
    @Test
    void theSignatureAndTheStatementAreKept(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            KeyPair key = Ed25519Keys.generate();
            RollbackStatement.Signed statement = RollbackStatementTests.statement(key,
                    "v1.0.0", "v1.1.0");
            UpdateOffer offer = device.publishSigned("v1.0.0", key.getPrivate(), null, true, statement);
            StateFile file = new StateFile(device.stateDir, device.client.json());
            file.save(new StateFile.Snapshot("waiting", UpdateJob.offered(offer, null, null,
                    device.clock.instant()), 1, 0, 0));

            UpdateOffer read = file.load().orElseThrow().job().offer();

            assertThat(read).isEqualTo(offer);
            assertThat(read.rollbackStatement().statement()).isEqualTo(statement.statement());
        }
    }

    /** A file from before self-updates reads as a job without an agent part and with its app part, as it was. */
    @Test
    void aJobOfFormatFiveHasNoAgentPartAndAnAppPart(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.URGENT, List.of());
            write(device, FORMAT_4, "downloading", offer, 2);

            UpdateJob job = new StateFile(device.stateDir, device.client.json()).load().orElseThrow().job();

            assertThat(job.agentVersion()).isNull();
            assertThat(job.agentFrom()).isNull();
            assertThat(job.appIncluded()).isNull();
            assertThat(job.includesApp()).isTrue();
        }
    }

    /**
     * Issue 16: an agent before self-updates (format 5) started on a disk where a newer agent stopped in its own
     * update (put back by hand, say) reads the file (the agent fields are fields it does not know) and, in a state it
     * does not know, resumes in failed: the download goes, the app release it never switched to goes, the job is
     * reported failed, and the device stays on its release. It survives: its {@code whereToResume} is today's for
     * every name it does not know, which this test drives with a name no agent knows yet.
     */
    @Test
    void anAgentBeforeSelfUpdatesSurvivesAFileStoppedInTheAgentsOwnUpdate(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.URGENT, List.of());
            write(device, FORMAT_6, "agent-trial", offer, 6);
            String json = Files.readString(device.stateDir.resolve(StateFile.NAME));

            FormatFiveSnapshot old = device.client.json().readValue(json, FormatFiveSnapshot.class);
            assertThat(old.state()).isEqualTo("agent-trial");
            assertThat(old.job().offer().id()).isEqualTo(offer.id());
            assertThat(old.job().previousVersion()).isEqualTo("v1.0.0");

            write(device, FORMAT_6, "agent-delta-assembling", offer, 6);
            Files.createDirectories(device.root.release("v1.1.0"));
            UpdateMachine machine = device.machine();
            assertThat(machine.current().name()).isEqualTo("failed");
            device.runToIdle(machine);

            assertThat(device.server.reportedStatuses()).containsExactly(UpdateStatus.FAILED);
            assertThat(device.server.reports().get(0).errorMessage())
                    .isEqualTo("agent stopped in unknown state 'agent-delta-assembling'");
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            assertThat(device.root.release("v1.1.0")).doesNotExist();
            assertThat(device.agentHome.currentRelease()).as("the running agent's release is never deleted")
                    .contains(DeviceFixture.FIRST_AGENT);
        }
    }

    /** A file this agent writes in its own update keeps every field an agent of format 5 reads, as it reads them. */
    @Test
    void anAgentOfFormatFiveReadsAFileWrittenInTheAgentsOwnUpdate(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            device.publishAgent("v1.1.0", "v0.2.0", true, false);
            device.afterSave = name -> {
                if (name.equals("agent-switching")) {
                    throw new DeviceFixture.PowerCut("in agent-switching");
                }
            };
            try {
                device.runToIdle(device.machine());
            } catch (DeviceFixture.PowerCut cut) {
                // stopped in the agent's switch
            }

            String json = Files.readString(device.stateDir.resolve(StateFile.NAME));
            assertThat(json).contains("\"format_version\":" + StateFile.FORMAT_VERSION, "\"agent_version\":\"v0.2.0\"",
                    "\"agent_from\":\"v0.1.0\"", "\"app_included\":true");
            FormatFiveSnapshot old = device.client.json().readValue(json, FormatFiveSnapshot.class);
            assertThat(old.state()).isEqualTo("agent-switching");
            assertThat(old.job().offer().version()).isEqualTo("v1.1.0");
            assertThat(old.job().previousVersion()).isEqualTo("v1.0.0");
        }
    }

    /**
     * Issue 18: a file this agent writes in the middle of a delta's assembly (format 7) is read by an agent of
     * format 6, before deltas: the delta fields (the job's delivery and delta bytes, the offer's delta) are fields it
     * does not know, and every field it reads is as it reads it. Its resume, in a state it does not know, is failed
     * ({@link #anAgentBeforeSelfUpdatesSurvivesAFileStoppedInTheAgentsOwnUpdate} drives that).
     */
    @Test
    void anAgentBeforeDeltasReadsAFileWrittenDuringTheAssembly(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            DeltaUpdateTests.arrange(device, DeltaUpdateTests.oneFileChanged());
            device.afterSave = name -> {
                if (name.equals("assembling")) {
                    throw new DeviceFixture.PowerCut("in assembling");
                }
            };
            try {
                device.runToIdle(device.machine());
            } catch (DeviceFixture.PowerCut cut) {
                // stopped in the assembly
            }

            String json = Files.readString(device.stateDir.resolve(StateFile.NAME));
            assertThat(json).contains("\"format_version\":7", "\"state\":\"assembling\"", "\"delivery\":\"delta\"",
                    "\"delta_bytes\":", "\"delta\":{\"base_version\":\"v1.0.0\"");
            FormatSixSnapshot old = device.client.json().readValue(json, FormatSixSnapshot.class);
            assertThat(old.state()).isEqualTo("assembling");
            assertThat(old.transitions()).isEqualTo(3);
            assertThat(old.job().offer().version()).isEqualTo("v1.1.0");
            assertThat(old.job().offer().packageUrl()).endsWith("/download");
            assertThat(old.job().previousVersion()).isNull();
            assertThat(old.job().appIncluded()).isNull();
        }
    }

    /**
     * A file of format 6, written before deltas in the middle of the package's download, is read by this agent as
     * a job on the package's path: it finishes the download and installs, and its outcome's report says nothing of
     * what was downloaded (as the agent that started it would not have).
     */
    @Test
    void anAgentResumesAFileFromBeforeDeltasOnThePackagesPath(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UpdateOffer offer = device.publish("v1.1.0", UpdateType.URGENT, List.of());
            write(device, FORMAT_6.replace(",\"agent_version\":\"v0.2.0\",\"agent_from\":\"v0.1.0\"", ""),
                    "downloading", offer, 2);

            UpdateMachine machine = device.machine();
            UpdateJob job = machine.current().job();
            assertThat(machine.current().name()).isEqualTo("downloading");
            assertThat(job.delivery()).as("absent: the package, as always").isNull();
            assertThat(job.deltaFallback()).isNull();
            assertThat(job.deltaBytes()).isNull();
            assertThat(job.offer().delta()).isNull();

            assertInstallsV110(device, machine);
            assertThat(device.server.reports()).allSatisfy(report -> {
                assertThat(report.delivery()).isNull();
                assertThat(report.downloadedBytes()).isNull();
            });
            assertThat(device.server.deltaDownloads()).isZero();
        }
    }

    /** The resumed machine installs v1.1.0 and reports it as any update. */
    private static void assertInstallsV110(DeviceFixture device, UpdateMachine machine) {
        device.runToIdle(machine);
        assertThat(device.server.reportedStatuses()).containsExactly(UpdateStatus.DOWNLOADING,
                UpdateStatus.INSTALLING, UpdateStatus.COMPLETED);
        assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
    }

    private static void writeFormatThree(DeviceFixture device, String state, UpdateOffer offer, int transitions)
            throws IOException {
        write(device, FORMAT_3, state, offer, transitions);
    }

    private static void write(DeviceFixture device, String format, String state, UpdateOffer offer, int transitions)
            throws IOException {
        Path file = Files.createDirectories(device.stateDir).resolve(StateFile.NAME);
        Files.writeString(file, format.formatted(state, offer.id(), offer.version(), offer.packageUrl(),
                offer.sha256(), offer.sizeBytes(), transitions));
    }
}
