package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.RolloutPage;
import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.javia.ota.packager.RolloutFixtures.ID;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * javia-ota against a stubbed server: what each command sends, what it prints, and the exit code for each kind of
 * answer. The same commands against the real server are in {@code OperatorPublishingTests}.
 */
class OperatorCommandTests {

    private static final Instant NOW = RolloutFixtures.CREATED.plusSeconds(3600);
    private static final String ROLLOUT = "/api/v1/rollouts/" + ID;
    private static final String NEWEST_OF_V140 = "/api/v1/rollouts?version=v1.4.0&page=0&size=1";

    @TempDir
    Path dir;

    private StubServer server;

    @BeforeEach
    void startStub() {
        server = new StubServer();
    }

    @AfterEach
    void stopStub() {
        server.close();
    }

    @Test
    void helpListsEveryCommandTheSettingsAndTheExitCodes() {
        CommandRun.Result result = run("--help");
        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("rollouts", "rollout ", "approve", "start", "pause", "resume", "advance",
                "cancel", "retry-failed", "rollback", "--server", "--config", "--json", "OTA_ADMIN_API_KEY",
                "NO_COLOR", "Exit codes", "  3  the server refused", "  5  the server could not be reached");
        assertThat(result.out().lines()).allMatch(line -> line.length() <= 100);
        CommandRun.Result rollback = run("rollback", "--help");
        assertThat(rollback.exitCode()).isZero();
        assertThat(rollback.out()).contains("ID|VERSION", "--to", "--reason", "--json");
    }

    @Test
    void showsARolloutByIdWithItsPhasesAsPlainTextInALog() {
        server.answer("GET", ROLLOUT, 200, RolloutFixtures.running());

        CommandRun.Result result = run("rollout", ID.toString());

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("rollout " + ID + "  v1.4.0 (release)", "  state     running",
                "phase 2  10%   35/50 installed, 2 failed, 1 silent  open").doesNotContain("[#");
        assertThat(server.requests()).singleElement().satisfies(request -> {
            assertThat(request.method()).isEqualTo("GET");
            assertThat(request.apiKey()).isEqualTo("admin-key");
        });
    }

    @Test
    void drawsProgressBarsOnATerminalUnlessNoColorIsSet() {
        server.answer("GET", ROLLOUT, 200, RolloutFixtures.running());

        CommandRun.Result terminal = CommandRun.operator(CommandRun.environment(dir, settings(), true), NOW,
                "rollout", ID.toString());
        Map<String, String> noColor = new HashMap<>(settings());
        noColor.put("NO_COLOR", "1");
        CommandRun.Result plain = CommandRun.operator(CommandRun.environment(dir, noColor, true), NOW,
                "rollout", ID.toString());

        assertThat(terminal.out()).contains("phase 2  10%   [##############......]  35/50 installed");
        assertThat(plain.out()).contains("phase 2  10%   35/50 installed").doesNotContain("[#");
    }

    @Test
    void aVersionStandsForItsNewestRollout() {
        server.answer("GET", NEWEST_OF_V140, 200, page(RolloutFixtures.running()))
                .answer("GET", ROLLOUT, 200, RolloutFixtures.running());

        CommandRun.Result result = run("rollout", "v1.4.0");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(server.requests()).extracting(StubServer.Request::target).containsExactly(NEWEST_OF_V140, ROLLOUT);
    }

    @Test
    void aVersionWithSeveralRolloutsSaysWhichItTook() {
        server.answer("GET", NEWEST_OF_V140, 200, new RolloutPage(List.of(RolloutFixtures.running()), 0, 1, 2, 2))
                .answer("POST", ROLLOUT + "/pause", 200, RolloutFixtures.paused("paused by admin"));

        CommandRun.Result result = run("pause", "v1.4.0");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.err()).contains("v1.4.0 has 2 rollouts; taking the newest, " + ID + " (release, running); "
                + "give an id for another (javia-ota rollouts --version v1.4.0)");
    }

    @Test
    void aVersionWithoutARolloutIsRefusedWithWhereToLook() {
        server.answer("GET", NEWEST_OF_V140, 200, new RolloutPage(List.of(), 0, 1, 0, 0));
        assertFails(run("rollout", "v1.4.0"), 3, "no rollout of v1.4.0 on " + server.url()
                + ": javia-ota rollouts lists them");
    }

    @Test
    void somethingNeitherAnIdNorAVersionIsAUsageErrorAndNothingIsSent() {
        assertFails(run("pause", "kitchen"), 2, "'kitchen' is neither a rollout id");
        assertFails(run("rollouts", "--state", "stuck"), 2, "--state: state must be one of awaiting_approval | ");
        assertFails(run("rollback", ID.toString(), "--to", "1.3"), 2, "--to: version must look like vMAJOR.MINOR");
        assertFails(run("start", ID.toString(), "--at", "tomorrow"), 2, "--at: 'tomorrow' is not an ISO-8601 time");
        assertFails(run("launch", ID.toString()), 2, "Unmatched argument");
        assertFails(run(), 2, "name a command, e.g. javia-ota rollouts");
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void pauseSendsTheReasonAndPrintsTheRolloutItAnswers() {
        server.answer("POST", ROLLOUT + "/pause", 200, RolloutFixtures.paused("kitchen misfires"));

        CommandRun.Result result = run("pause", ID.toString(), "--reason", "kitchen misfires");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).startsWith("paused rollout " + ID + " of v1.4.0\n")
                .contains("  state     paused: kitchen misfires");
        StubServer.Request request = server.requests().get(0);
        assertThat(ServerConnection.JSON.readTree(request.body()).get("reason").asString())
                .isEqualTo("kitchen misfires");
    }

    @Test
    void eachActionPostsToItsOwnPathWithItsBody() {
        Map<List<String>, String> actions = Map.of(
                List.of("approve", ID.toString()), "approve",
                List.of("start", ID.toString(), "--at", "2026-12-03T03:00+01:00"), "start",
                List.of("resume", ID.toString()), "resume",
                List.of("advance", ID.toString()), "advance",
                List.of("cancel", ID.toString(), "--reason", "wrong build"), "cancel",
                List.of("retry-failed", ID.toString()), "retry-failed",
                List.of("rollback", ID.toString(), "--to", "v1.3.2"), "rollback");
        actions.values().forEach(action -> server.answer("POST", ROLLOUT + "/" + action, 200,
                RolloutFixtures.running()));

        actions.forEach((args, action) -> {
            CommandRun.Result result = run(args.toArray(String[]::new));
            assertThat(result.exitCode()).as(result.toString()).isZero();
            assertThat(server.requests()).last().extracting(StubServer.Request::target)
                    .isEqualTo(ROLLOUT + "/" + action);
        });
        assertThat(bodyOf("start").get("at").asString()).isEqualTo("2026-12-03T02:00:00Z");
        assertThat(bodyOf("cancel").get("reason").asString()).isEqualTo("wrong build");
        assertThat(bodyOf("rollback").get("to_version").asString()).isEqualTo("v1.3.2");
    }

    @Test
    void jsonPrintsTheServersAnswerAsItCameWhereverTheOptionStands() {
        String body = ServerConnection.JSON.writeValueAsString(RolloutFixtures.running());
        server.answer("GET", ROLLOUT, 200, body);

        CommandRun.Result before = run("--json", "rollout", ID.toString());
        CommandRun.Result after = run("rollout", ID.toString(), "--json");

        assertThat(before.out()).isEqualTo(body + "\n");
        assertThat(after.out()).isEqualTo(body + "\n");
        RolloutView parsed = ServerConnection.JSON.readValue(after.out(), RolloutView.class);
        assertThat(parsed).isEqualTo(RolloutFixtures.running());
    }

    @Test
    void theListIsATableAndSaysWhereTheNextPageIs() {
        server.answer("GET", "/api/v1/rollouts?state=running&page=0&size=20", 200,
                new RolloutPage(List.of(RolloutFixtures.running()), 0, 20, 21, 2));

        CommandRun.Result result = run("rollouts", "--state", "RUNNING");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("ID  ", ID + "  v1.4.0   release  running",
                "page 0 of 2 pages (21 rollouts): --page 1 for older ones");
    }

    @Test
    void aRefusedTransitionExitsThreeWithTheServersAdvice() {
        server.problem("POST", ROLLOUT + "/resume", 409, "rollout is running, not paused: pause it first");
        assertFails(run("resume", ID.toString()), 3, "the server refused to resume rollout " + ID
                + " (409): rollout is running, not paused: pause it first");
    }

    @Test
    void anUnknownRolloutExitsThree() {
        server.problem("GET", ROLLOUT, 404, "no rollout " + ID);
        assertFails(run("rollout", ID.toString()), 3, "(404): no rollout " + ID);
    }

    @Test
    void approvingYourOwnRolloutExitsThreeAndAWrongKeyFour() {
        server.problem("POST", ROLLOUT + "/approve", 403, "alice created this rollout: another admin approves it");
        assertFails(run("approve", ID.toString()), 3, "(403): alice created this rollout: another admin approves it");
        server.problem("GET", ROLLOUT, 401, "unknown key");
        assertFails(run("rollout", ID.toString()), 4, "the server refused the admin key");
    }

    @Test
    void aFailingServerExitsFive() {
        server.problem("GET", ROLLOUT, 500, "boom");
        assertFails(run("rollout", ID.toString()), 5, "failed (HTTP 500: boom): try again");
    }

    @Test
    void aServerOlderThanRolloutsIsSaidSo() {
        assertFails(run("rollouts"), 5, "has no /api/v1/rollouts (404): it is older than rollouts");
    }

    @Test
    void anUnreachableServerExitsFive() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        CommandRun.Result result = CommandRun.operator(CommandRun.environment(dir, Map.of("OTA_SERVER_URL",
                "http://127.0.0.1:" + closedPort, "OTA_ADMIN_API_KEY", "admin-key")), NOW, "rollouts");
        assertFails(result, 5, "cannot reach the server at http://127.0.0.1:" + closedPort + " (connection refused)");
    }

    @Test
    void withoutSettingsItSaysWhereToPutThem() {
        assertFails(CommandRun.operator(CommandRun.environment(dir, Map.of()), NOW, "rollouts"), 2,
                "no server given: pass --server URL, set OTA_SERVER_URL");
    }

    private tools.jackson.databind.JsonNode bodyOf(String action) {
        return server.requests().stream().filter(request -> request.target().endsWith("/" + action))
                .map(request -> ServerConnection.JSON.readTree(request.body())).findFirst().orElseThrow();
    }

    private static RolloutPage page(RolloutView rollout) {
        return new RolloutPage(List.of(rollout), 0, 1, 1, 1);
    }

    private CommandRun.Result run(String... args) {
        return CommandRun.operator(CommandRun.environment(dir, settings()), NOW, args);
    }

    private Map<String, String> settings() {
        return Map.of("OTA_SERVER_URL", server.url(), "OTA_ADMIN_API_KEY", "admin-key");
    }

    private static void assertFails(CommandRun.Result result, int exitCode, String message) {
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(exitCode);
        assertThat(result.err()).as(result.toString()).contains(message);
    }
}
