package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.RolloutKind;
import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutView;
import dev.javia.ota.protocol.api.UpdateCreated;
import dev.javia.ota.server.testing.TestDatabaseInitializer;
import dev.javia.ota.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * create_update's rollout options and javia-ota against the real server over HTTP, on a fresh PostgreSQL database:
 * publish in phases, list, show, approve, pause, resume, cancel, roll back, and the server's refusals as exit codes.
 */
class OperatorPublishingTests {

    private static TestServer server;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void emptyServerAndAFleetOfThree() throws IOException {
        server.jdbcTemplate().execute("truncate device_updates, updates, devices cascade");
        CommandRun.writeSource(dir);
        for (int i = 0; i < 3; i++) {
            server.api().register(server.enrollmentKey(), UUID.randomUUID().toString(), "Europe/Berlin", "v1.0.0");
        }
    }

    @Test
    void publishesAPhasedRolloutAwaitingApprovalThatTheListAndTheDetailShow() {
        CommandRun.Result published = publish(server, "--phases", "1,100%", "--require-approval", "v1.2.3");

        assertThat(published.exitCode()).as(published.toString()).isZero();
        assertThat(published.out()).contains("published v1.2.3 (scheduled), scheduled for 0 devices",
                "awaiting approval, phases 1, 100%", "  next     waits for an admin other than");

        CommandRun.Result list = javiaOta(server, "rollouts", "--state", "awaiting_approval");
        assertThat(list.exitCode()).as(list.toString()).isZero();
        assertThat(list.out()).contains("VERSION", "v1.2.3   release  awaiting_approval  1 of 2  0/3");

        CommandRun.Result shown = javiaOta(server, "rollout", "v1.2.3");
        assertThat(shown.exitCode()).as(shown.toString()).isZero();
        assertThat(shown.out()).contains("v1.2.3 (release)", "  state     awaiting approval",
                "needs a second admin's approval", "phase 1  1     0/1 installed", "phase 2  100%  0/2 installed");
    }

    @Test
    void theCreatorCannotApproveTheirOwnRolloutAndIsToldWhoMay() {
        publish(server, "--phases", "1,100%", "--require-approval", "v1.2.3");

        CommandRun.Result own = javiaOta(server, "approve", "v1.2.3");

        assertThat(own.exitCode()).as(own.toString()).isEqualTo(3);
        assertThat(own.err()).contains("the server refused to approve rollout", "(403): the rollout was created by",
                "another admin key must approve it");
        assertThat(rollout(server, "v1.2.3").state()).isEqualTo(RolloutState.AWAITING_APPROVAL);
    }

    /** Approval by a second admin key (plain keys are named by position: admin, admin-2). */
    @Test
    void aSecondAdminApprovesAndTheRolloutStartsItsFirstPhase() {
        server.api().register(server.enrollmentKey(), UUID.randomUUID().toString(), "UTC", "v1.0.0");
        server.api().register(server.enrollmentKey(), UUID.randomUUID().toString(), "UTC", "v1.0.0");
        assertThat(publish(server, "--phases", "1,100%", "--require-approval", "v1.2.3").exitCode()).isZero();

        CommandRun.Result approved = CommandRun.operator(CommandRun.environment(dir, Map.of("OTA_SERVER_URL",
                server.baseUrl(), "OTA_ADMIN_API_KEY", TestDatabaseInitializer.SECOND_ADMIN_KEY)), Instant.now(),
                "approve", "v1.2.3");

        assertThat(approved.exitCode()).as(approved.toString()).isZero();
        assertThat(approved.out()).contains("approved rollout ", " of v1.2.3", "  state     running",
                "  approved  ", "admin-2");
        assertThat(rollout(server, "v1.2.3").state()).isEqualTo(RolloutState.RUNNING);
    }

    @Test
    void pauseResumeAndCancelFromTheCommandLine() {
        publish(server, "--phases", "1,100%", "v1.2.3");
        assertThat(rollout(server, "v1.2.3").state()).isEqualTo(RolloutState.RUNNING);

        CommandRun.Result paused = javiaOta(server, "pause", "v1.2.3", "--reason", "kitchen misfires");
        assertThat(paused.exitCode()).as(paused.toString()).isZero();
        assertThat(paused.out()).contains("paused rollout ", "  state     paused: kitchen misfires");

        CommandRun.Result resumed = javiaOta(server, "resume", "v1.2.3");
        assertThat(resumed.exitCode()).as(resumed.toString()).isZero();
        assertThat(resumed.out()).contains("resumed rollout ", "  state     running");

        CommandRun.Result cancelled = javiaOta(server, "cancel", "v1.2.3", "--reason", "wrong build");
        assertThat(cancelled.exitCode()).as(cancelled.toString()).isZero();
        assertThat(cancelled.out()).contains("cancelled rollout ", "  state     cancelled", "  ended     ");
        assertThat(rollout(server, "v1.2.3").state()).isEqualTo(RolloutState.CANCELLED);
    }

    @Test
    void advanceOpensTheNextPhaseWithoutWaitingForTheRules() {
        publish(server, "--phases", "1,100%", "--soak", "2d", "v1.2.3");

        CommandRun.Result result = javiaOta(server, "advance", "v1.2.3");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("advanced rollout ", "phase 1  1     0/1 installed, 0 failed, 0 silent  done",
                "phase 2  100%  0/2 installed, 0 failed, 0 silent  open");
        assertThat(rollout(server, "v1.2.3").currentPhase()).isEqualTo(1);
    }

    @Test
    void startRunsAScheduledRolloutNow() {
        CommandRun.Result published = publish(server, "--phases", "1,100%", "--start-at", "2030-01-01T03:00+01:00",
                "v1.2.3");
        assertThat(published.out()).contains("scheduled, phases 1, 100%", "starts at 2030-01-01T02:00:00Z");

        CommandRun.Result started = javiaOta(server, "start", "v1.2.3");

        assertThat(started.exitCode()).as(started.toString()).isZero();
        assertThat(started.out()).contains("started rollout ", "  state     running");
    }

    @Test
    void aRefusedTransitionExitsThreeWithWhatToDoInstead() {
        publish(server, "--phases", "1,100%", "v1.2.3");

        CommandRun.Result result = javiaOta(server, "resume", "v1.2.3");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(3);
        assertThat(result.err()).contains("(409): the rollout cannot be resumed: it is running: pause, advance, "
                + "cancel or roll it back");
    }

    @Test
    void anUnknownRolloutOrVersionExitsThree() {
        UUID unknown = UUID.randomUUID();
        CommandRun.Result byId = javiaOta(server, "rollout", unknown.toString());
        assertThat(byId.exitCode()).as(byId.toString()).isEqualTo(3);
        assertThat(byId.err()).contains("(404): no rollout " + unknown);

        CommandRun.Result byVersion = javiaOta(server, "pause", "v9.9.9");
        assertThat(byVersion.exitCode()).as(byVersion.toString()).isEqualTo(3);
        assertThat(byVersion.err()).contains("no rollout of v9.9.9 on " + server.baseUrl());
    }

    @Test
    void rollbackCreatesARollbackRolloutToTheVersionGiven() {
        assertThat(publish(server, "v1.2.3").exitCode()).isZero();
        assertThat(publish(server, "--phases", "1,100%", "v1.2.4").exitCode()).isZero();

        CommandRun.Result result = javiaOta(server, "rollback", "v1.2.4", "--to", "v1.2.3", "--reason",
                "audio drops");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("rolling back with rollout ", "which takes the devices back to v1.2.3",
                "v1.2.3 (rollback)", "  undoes    rollout ");
        RolloutView bad = rollout(server, "v1.2.4");
        assertThat(bad.state()).isEqualTo(RolloutState.CANCELLED);
        assertThat(bad.rolledBackBy()).isNotNull();
        assertThat(javiaOta(server, "rollout", bad.id().toString()).out())
                .contains("  undone by rollout " + bad.rolledBackBy());
    }

    @Test
    void jsonIsTheServersAnswerThatScriptsReadBack() {
        CommandRun.Result published = publish(server, "--json", "--phases", "1,100%", "--require-approval",
                "v1.2.3");
        assertThat(published.exitCode()).as(published.toString()).isZero();
        UpdateCreated created = ServerConnection.JSON.readValue(published.out(), UpdateCreated.class);
        assertThat(created.rollout().phases()).extracting(phase -> phase.size()).containsExactly("1", "100%");
        assertThat(created.rollout().rules().requireApproval()).isTrue();

        CommandRun.Result shown = javiaOta(server, "--json", "rollout", "v1.2.3");
        RolloutView view = ServerConnection.JSON.readValue(shown.out(), RolloutView.class);
        assertThat(view.id()).isEqualTo(created.rollout().id());
        assertThat(view.kind()).isEqualTo(RolloutKind.RELEASE);
        assertThat(view.state()).isEqualTo(RolloutState.AWAITING_APPROVAL);
    }

    @Test
    void theServerRefusesWhatOnlyItCanJudgeAndNothingIsPublished() {
        CommandRun.Result result = publish(server, "--phases", phasesOverTheServersLimit(), "v1.2.3");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(3);
        assertThat(result.err()).contains("the server refused the update: phases: at most 20 phases");
        assertThat(server.jdbcTemplate().queryForObject("select count(*) from updates", Long.class)).isZero();
    }

    /** 1,2,...,21,100%: each larger than the one before, as checked here, but more phases than the server runs. */
    private static String phasesOverTheServersLimit() {
        StringBuilder phases = new StringBuilder();
        for (int i = 1; i <= 21; i++) {
            phases.append(i).append(',');
        }
        return phases.append("100%").toString();
    }

    private CommandRun.Result publish(TestServer target, String... optionsAndVersion) {
        String[] args = new String[optionsAndVersion.length + 2];
        System.arraycopy(optionsAndVersion, 0, args, 0, optionsAndVersion.length);
        args[args.length - 2] = "Bug fixes";
        args[args.length - 1] = "scheduled";
        return CommandRun.run(CommandRun.environment(dir, settings(target)), args);
    }

    private CommandRun.Result javiaOta(TestServer target, String... args) {
        return CommandRun.operator(CommandRun.environment(dir, settings(target)), Instant.now(), args);
    }

    private RolloutView rollout(TestServer target, String version) {
        CommandRun.Result shown = javiaOta(target, "rollout", version, "--json");
        assertThat(shown.exitCode()).as(shown.toString()).isZero();
        return ServerConnection.JSON.readValue(shown.out(), RolloutView.class);
    }

    private static Map<String, String> settings(TestServer target) {
        return Map.of("OTA_SERVER_URL", target.baseUrl(), "OTA_ADMIN_API_KEY", target.adminKey());
    }
}
