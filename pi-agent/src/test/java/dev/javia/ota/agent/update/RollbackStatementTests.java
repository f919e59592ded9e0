package dev.javia.ota.agent.update;

import dev.javia.ota.agent.update.UpdateMachineTests.Scenario;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.protocol.trust.RollbackStatement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static dev.javia.ota.agent.update.RollbackOfferTests.INSTALL_COMMANDS;
import static dev.javia.ota.agent.update.RollbackOfferTests.REFUSED;
import static dev.javia.ota.agent.update.SignedPackageTests.REFUSED_IN_VERIFYING;
import static dev.javia.ota.agent.update.SignedPackageTests.keysOf;
import static dev.javia.ota.protocol.api.UpdateStatus.COMPLETED;
import static dev.javia.ota.protocol.api.UpdateStatus.DOWNLOADING;
import static dev.javia.ota.protocol.api.UpdateStatus.FAILED;
import static dev.javia.ota.protocol.api.UpdateStatus.INSTALLING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * No downgrade without the publisher's word: with publisher keys pinned, a device on v1.1.0 goes back to v1.0.0
 * only with a rollback statement signed by a key in force, for v1.0.0, replacing v1.1.0, never installed before.
 * The table's columns are {@link UpdateMachineTests}'; every refusal of the statement happens before anything is
 * downloaded.
 */
class RollbackStatementTests {

    static final KeyPair PUBLISHER = Ed25519Keys.generate();
    static final KeyPair STRANGER = Ed25519Keys.generate();
    static final String NOT_ABOVE = "refused v1.0.0: it is not above the installed v1.1.0";

    static RollbackStatement.Signed statement(KeyPair key, String target, String... replaces) {
        return RollbackStatement.of(UUID.randomUUID(), Version.parse(target),
                Stream.of(replaces).map(Version::parse).toList(), Instant.parse("2025-06-01T11:00:00Z"))
                .sign(key.getPrivate());
    }

    /** The device: publisher keys pinned, on v1.1.0 with v1.0.0 kept on disk. */
    static void onV110(DeviceFixture device) {
        device.pinned = keysOf(PUBLISHER);
        device.installRelease("v1.1.0");
    }

    static Stream<Scenario> scenarios() {
        return Stream.of(
                new Scenario("a rollback without a statement is refused", device -> {
                    onV110(device);
                    device.publishSigned("v1.0.0", PUBLISHER.getPrivate(), null, true, null);
                }, REFUSED, List.of(), List.of(FAILED), NOT_ABOVE + ", and the rollback carries no rollback "
                        + "statement signed by a publisher key", "v1.1.0"),
                new Scenario("a statement without the rollback flag is refused", device -> {
                    onV110(device);
                    device.publishSigned("v1.0.0", PUBLISHER.getPrivate(), null, false,
                            statement(PUBLISHER, "v1.0.0", "v1.1.0"));
                }, REFUSED, List.of(), List.of(FAILED), "the offer is not a rollback", "v1.1.0"),
                new Scenario("a rollback with a valid statement is installed", device -> {
                    onV110(device);
                    device.publishSigned("v1.0.0", PUBLISHER.getPrivate(), null, true,
                            statement(PUBLISHER, "v1.0.0", "v1.2.0", "v1.1.0"));
                }, RollbackOfferTests.INSTALLED, INSTALL_COMMANDS, List.of(DOWNLOADING, INSTALLING, COMPLETED),
                        null, "v1.0.0"),
                new Scenario("a statement for another version is refused", device -> {
                    onV110(device);
                    device.publishSigned("v1.0.0", PUBLISHER.getPrivate(), null, true,
                            statement(PUBLISHER, "v0.9.0", "v1.1.0"));
                }, REFUSED, List.of(), List.of(FAILED), "is for v0.9.0, not v1.0.0", "v1.1.0"),
                new Scenario("a statement whose replaces lacks the running version is refused", device -> {
                    onV110(device);
                    device.publishSigned("v1.0.0", PUBLISHER.getPrivate(), null, true,
                            statement(PUBLISHER, "v1.0.0", "v1.2.0"));
                }, REFUSED, List.of(), List.of(FAILED), "replaces v1.2.0, not the running v1.1.0", "v1.1.0"),
                new Scenario("a statement signed by an unknown key is refused", device -> {
                    onV110(device);
                    device.publishSigned("v1.0.0", PUBLISHER.getPrivate(), null, true,
                            statement(STRANGER, "v1.0.0", "v1.1.0"));
                }, REFUSED, List.of(), List.of(FAILED), "its rollback statement is not trusted: the rollback "
                        + "statement is signed by key '" + Ed25519Keys.keyId(STRANGER.getPublic()) + "'", "v1.1.0"),
                new Scenario("a statement altered after signing is refused", device -> {
                    onV110(device);
                    RollbackStatement.Signed signed = statement(PUBLISHER, "v1.0.0", "v1.2.0");
                    device.publishSigned("v1.0.0", PUBLISHER.getPrivate(), null, true, new RollbackStatement.Signed(
                            signed.statement().replace("v1.2.0", "v1.1.0"), signed.signature()));
                }, REFUSED, List.of(), List.of(FAILED), "the signature of the rollback statement by key "
                        + Ed25519Keys.keyId(PUBLISHER.getPublic()) + " does not verify", "v1.1.0"),
                new Scenario("an unsigned package under a valid statement is refused in verifying", device -> {
                    onV110(device);
                    device.publishSigned("v1.0.0", null, null, true, statement(PUBLISHER, "v1.0.0", "v1.1.0"));
                }, REFUSED_IN_VERIFYING, List.of(), List.of(DOWNLOADING, FAILED), "package v1.0.0 is not signed",
                        "v1.1.0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void holdsADowngradeToThePublishersWord(Scenario scenario, @TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            scenario.arrange().accept(device);

            device.runToIdle(device.machine());

            UpdateMachineTests.assertRanAsIn(scenario, device);
            if (scenario.chain().equals(REFUSED)) {
                assertThat(device.root.release("v1.0.0")).as("a refusal deletes no release").isDirectory();
                assertThat(device.stateDir.resolve(UsedStatements.NAME)).as("no statement spent").doesNotExist();
            }
        }
    }

    @Test
    void aStatementIsRecordedWhenInstalledAndARepeatIsRefused(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            onV110(device);
            RollbackStatement.Signed signed = statement(PUBLISHER, "v1.0.0", "v1.1.0");
            UUID statementId = signed.verify(keysOf(PUBLISHER)).statementId();
            device.publishSigned("v1.0.0", PUBLISHER.getPrivate(), null, true, signed);
            device.runToIdle(device.machine());
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            assertThat(UsedStatements.open(device.stateDir, device.client.json()).contains(statementId)).isTrue();

            // the device goes forward again; then the old rollback's offer is replayed, as a new offer
            device.publishSigned("v1.1.0", PUBLISHER.getPrivate(), null, false, null);
            device.runToIdle(device.machine());
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
            device.chain.clear();
            UpdateOffer replayed = device.publishSigned("v1.0.0", PUBLISHER.getPrivate(), null, true, signed);
            device.runToIdle(device.machine());

            assertThat(device.chain).containsExactlyElementsOf(REFUSED);
            assertThat(device.server.reports()).last().satisfies(report -> {
                assertThat(report.status()).isEqualTo(FAILED);
                assertThat(report.errorMessage()).contains("its rollback statement " + statementId
                        + " was already installed on this device once");
            });
            assertThat(device.currentTarget()).isEqualTo("releases/v1.1.0");
            assertThat(device.server.requests()).noneMatch(request -> request.getUrl().encodedPath()
                    .equals("/api/v1/updates/" + replayed.id() + "/download"));
        }
    }

    /**
     * The id is recorded in verifying before the state after it is written: a power cut between the two resumes in
     * verifying, which does not hold this job's own record against it.
     */
    @Test
    void aResumeInVerifyingAfterTheIdWasRecordedGoesOn(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            onV110(device);
            RollbackStatement.Signed signed = statement(PUBLISHER, "v1.0.0", "v1.1.0");
            device.publishSigned("v1.0.0", PUBLISHER.getPrivate(), null, true, signed);
            device.afterSave = name -> {
                if (name.equals("verifying")) {
                    throw new DeviceFixture.PowerCut("in verifying");
                }
            };
            assertThatThrownBy(() -> device.runToIdle(device.machine())).isInstanceOf(DeviceFixture.PowerCut.class);
            UsedStatements.open(device.stateDir, device.client.json())
                    .record(signed.verify(keysOf(PUBLISHER)).statementId());

            device.afterSave = name -> {
            };
            device.runToIdle(device.machine());

            assertThat(device.server.reportedStatuses()).containsExactly(DOWNLOADING, INSTALLING, COMPLETED);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
        }
    }

    static Stream<Integer> cuts() {
        return IntStream.rangeClosed(1, RollbackOfferTests.INSTALLED.size()).boxed();
    }

    /** The power goes after state k of a signed rollback: the next start finishes it, and spends the statement once. */
    @ParameterizedTest(name = "cut after state {0}")
    @MethodSource("cuts")
    void aSignedRollbackCutByPowerLossResumes(int k, @TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            onV110(device);
            RollbackStatement.Signed signed = statement(PUBLISHER, "v1.0.0", "v1.1.0");
            device.publishSigned("v1.0.0", PUBLISHER.getPrivate(), null, true, signed);
            int[] saves = {0};
            device.afterSave = name -> {
                if (++saves[0] == k) {
                    throw new DeviceFixture.PowerCut("after saving " + name);
                }
            };
            assertThatThrownBy(() -> device.runToIdle(device.machine())).isInstanceOf(DeviceFixture.PowerCut.class);
            if (k == 1) {
                assertThat(Files.readString(device.stateDir.resolve(StateFile.NAME)))
                        .contains("\"rollback_statement\":{\"statement\":");
            }

            device.afterSave = name -> {
            };
            device.runToIdle(device.machine());

            assertThat(device.server.reports()).noneMatch(report -> report.status() == FAILED);
            assertThat(device.server.reportedStatuses()).last().isEqualTo(COMPLETED);
            assertThat(device.currentTarget()).isEqualTo("releases/v1.0.0");
            UsedStatements.Stored stored = device.client.json().readValue(
                    device.stateDir.resolve(UsedStatements.NAME).toFile(), UsedStatements.Stored.class);
            assertThat(stored.used()).containsExactly(signed.verify(keysOf(PUBLISHER)).statementId());
        }
    }

    @Test
    void theUsedIdsAreBoundedToTheLastHundred(@TempDir Path dir) {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            UsedStatements used = UsedStatements.open(device.stateDir, device.client.json());
            List<UUID> ids = new ArrayList<>();
            for (int i = 0; i <= UsedStatements.KEPT; i++) {
                ids.add(UUID.randomUUID());
                used.record(ids.get(i));
            }
            used.record(ids.get(UsedStatements.KEPT));

            UsedStatements reopened = UsedStatements.open(device.stateDir, device.client.json());
            assertThat(reopened.contains(ids.get(0))).as("the oldest is forgotten").isFalse();
            assertThat(ids.subList(1, ids.size())).allMatch(reopened::contains);
            UsedStatements.Stored stored = device.client.json().readValue(
                    device.stateDir.resolve(UsedStatements.NAME).toFile(), UsedStatements.Stored.class);
            assertThat(stored.used()).containsExactlyElementsOf(ids.subList(1, ids.size()));
        }
    }

    /** Forgetting the used ids would let a spent statement take the device back again: the agent does not start. */
    @Test
    void anUnreadableListOfUsedStatementsStopsTheStart(@TempDir Path dir) throws IOException {
        try (DeviceFixture device = new DeviceFixture(dir)) {
            Files.createDirectories(device.stateDir);
            Files.writeString(device.stateDir.resolve(UsedStatements.NAME), "{\"used\":[\"not-a-uuid");

            assertThatThrownBy(device::machine).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is not a list of used rollback statements")
                    .hasMessageContaining("move it aside only if");
        }
    }
}
