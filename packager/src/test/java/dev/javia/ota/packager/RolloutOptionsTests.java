package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutView;
import dev.javia.ota.protocol.api.UpdateCreated;
import dev.javia.ota.protocol.api.UpdatePage;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.api.UpdateView;
import dev.javia.ota.protocol.pkg.Sha256;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** create_update's rollout options: what is refused before anything is built, and what the form carries. */
class RolloutOptionsTests {

    @TempDir
    Path dir;

    /** create_update with no server settings, in a directory holding a pi_client/. */
    private PackagerEnvironment environment;

    @BeforeEach
    void sourceToPackage() throws IOException {
        environment = CommandRun.environment(CommandRun.writeSource(dir).getParent(), Map.of());
    }

    @Test
    void eachValueThatCannotBeRightIsRefusedWithWhatToWriteInstead() {
        Map<List<String>, String> refusals = new LinkedHashMap<>();
        refusals.put(List.of("--phases", "1,10%,50%"), "--phases must end at 100% so that the rollout reaches every "
                + "targeted device, not at 50%");
        refusals.put(List.of("--phases", "1,100%,5"), "--phases must end at 100%");
        refusals.put(List.of("--phases", "10%,5%,100%"), "--phases are cumulative, each larger than the one before: "
                + "5% comes after 10%");
        refusals.put(List.of("--phases", "5,2,100%"), "2 comes after 5");
        refusals.put(List.of("--phases", "1,150%"), "--phases: 150% is not a share of the target: give one above 0% "
                + "and at most 100%");
        refusals.put(List.of("--phases", "0%,100%"), "--phases: 0% is not a share of the target");
        refusals.put(List.of("--phases", "0,100%"), "--phases are cumulative");
        refusals.put(List.of("--phases", "one,100%"), "--phases: 'one' is not a phase size: give a device count");
        refusals.put(List.of("--phases", ""), "--phases: '' is not a phase size");
        refusals.put(List.of("--soak", "an hour"), "--soak: 'an hour' is not a duration: write e.g. 90s, 30m, 1h, 2d "
                + "or PT1H");
        refusals.put(List.of("--soak", "-PT1H"), "--soak must be 0 or longer, not -PT1H");
        refusals.put(List.of("--install-timeout", "0s"), "--install-timeout must be longer than 0, not 0s");
        refusals.put(List.of("--install-timeout", "soon"), "--install-timeout: 'soon' is not a duration");
        refusals.put(List.of("--success-threshold", "150%"), "--success-threshold: 150% is above 100%: give a share "
                + "of the devices above 0% and at most 100% (e.g. 95%)");
        refusals.put(List.of("--success-threshold", "95"), "--success-threshold: 95 is above 100%: give a share of "
                + "the devices above 0% and at most 100% (e.g. 95%); for a percentage, write 95%");
        refusals.put(List.of("--success-threshold", "0%"), "--success-threshold: 0% is not above 0%");
        refusals.put(List.of("--failure-threshold", "-5%"), "--failure-threshold: '-5%' is not a share: write it as "
                + "5% or 0.05");
        refusals.put(List.of("--failure-threshold", "-0.1"), "--failure-threshold: -0.1 is not above 0%");
        refusals.put(List.of("--failure-threshold", "many"), "--failure-threshold: 'many' is not a share");
        refusals.put(List.of("--min-finished", "0"), "--min-finished must be 1 or more, not 0");
        refusals.put(List.of("--min-sample", "-3"), "--min-sample must be 1 or more, not -3");
        refusals.put(List.of("--min-sample", "ten"), "Invalid value for option '--min-sample': 'ten' is not an int");
        refusals.put(List.of("--max-concurrent", "0"), "--max-concurrent must be 1 or more, not 0");
        refusals.put(List.of("--start-at", "tomorrow 2am"), "--start-at: 'tomorrow 2am' is not an ISO-8601 time with "
                + "its offset: write e.g. 2026-12-03T02:00:00Z or 2026-12-03T03:00+01:00");
        refusals.put(List.of("--start-at", "2026-12-03T02:00"), "--start-at: '2026-12-03T02:00' is not an ISO-8601");
        refusals.put(List.of("--require-approval=maybe"), "Invalid value for option '--require-approval'");
        refusals.put(List.of("--auto-rollback=sometimes"), "Invalid value for option '--auto-rollback'");
        refusals.put(List.of("--target-version", "1.2"), "--target-version: version must look like vMAJOR.MINOR.PATCH");
        refusals.put(List.of("--target-status", "asleep"), "--target-status: status must be one of online | offline "
                + "| updating, not 'asleep'");
        refusals.put(List.of("--target-timezone", "Mars/Olympus"), "--target-timezone: 'Mars/Olympus' is not an IANA "
                + "timezone: write e.g. Europe/Berlin or America/Los_Angeles");
        refusals.put(List.of("--target-metadata", "room"), "--target-metadata: 'room' is not KEY=VALUE with a key "
                + "of letters, digits, '_', '.' or '-': write e.g. room=kitchen,hw=pi4");
        refusals.put(List.of("--target-metadata", "the room=kitchen"), "'the room=kitchen' is not KEY=VALUE");
        refusals.put(List.of("--target-metadata", "=kitchen"), "--target-metadata: '=kitchen' is not KEY=VALUE");
        refusals.put(List.of("--target-metadata", "room=kitchen,room=hall"), "--target-metadata: room is given twice");
        refusals.put(List.of("--target-devices", "0190f7a4-5b6c-7d8e-9f00-112233445566", "--target-timezone", "UTC"),
                "give either --target-devices or a device filter (--target-version, --target-status, "
                        + "--target-timezone, --target-metadata), not both");
        refusals.forEach((options, message) -> {
            List<String> args = new ArrayList<>(options);
            args.addAll(List.of("--output", "u.zip", "v1.2.3", "Bug fixes", "scheduled"));
            CommandRun.Result result = CommandRun.run(environment, args.toArray(String[]::new));
            assertThat(result.exitCode()).as(options + ": " + result).isEqualTo(2);
            assertThat(result.err()).as(options + ": " + result).contains(message);
            assertThat(dir.resolve("u.zip")).as(options + ": nothing built").doesNotExist();
        });
    }

    @Test
    void theFormCarriesTheRolloutFieldsGivenInTheContractsNames() {
        RolloutOptions options = new RolloutOptions();
        options.phases = " 1, 1%, 10%,50%, 100%";
        options.soak = "2h";
        options.requireApproval = true;
        options.successThreshold = "95%";
        options.failureThreshold = "0.05";
        options.minFinished = 5;
        options.minSample = 10;
        options.installTimeout = "PT3H";
        options.maxConcurrent = 50;
        options.startAt = "2026-12-03T03:00+01:00";
        options.autoRollback = false;
        options.targetVersion = "v1.2.2";
        options.targetStatus = "ONLINE";
        options.targetTimezone = "Europe/Berlin";
        options.targetMetadata = "room = kitchen, hw=pi4";

        assertThat(options.formFields()).containsExactly(
                Map.entry("phases", "1,1%,10%,50%,100%"),
                Map.entry("soak", "2h"),
                Map.entry("require_approval", "true"),
                Map.entry("success_threshold", "95%"),
                Map.entry("failure_threshold", "0.05"),
                Map.entry("min_finished", "5"),
                Map.entry("min_sample", "10"),
                Map.entry("install_timeout", "PT3H"),
                Map.entry("max_concurrent", "50"),
                Map.entry("start_at", "2026-12-03T02:00:00Z"),
                Map.entry("auto_rollback", "false"),
                Map.entry("target_version", "v1.2.2"),
                Map.entry("target_status", "online"),
                Map.entry("target_timezone", "Europe/Berlin"),
                Map.entry("target_metadata", "room=kitchen,hw=pi4"));
        assertThat(new RolloutOptions().formFields()).isEmpty();
    }

    @Test
    void publishingSendsOnlyTheFieldsGivenAndPrintsTheRollout() throws IOException {
        try (StubServer server = publishingStub()) {
            CommandRun.Result result = CommandRun.run(CommandRun.environment(dir, settings(server)),
                    "--phases", "1,100%", "--require-approval", "v1.4.0", "New wake word", "scheduled");

            assertThat(result.exitCode()).as(result.toString()).isZero();
            String form = created(server);
            assertThat(form).contains(field("phases", "1,100%"), field("require_approval", "true"))
                    .doesNotContain("name=\"soak\"", "name=\"target_devices\"", "name=\"auto_rollback\"");
            assertThat(result.out()).contains("published v1.4.0 (scheduled), scheduled for 0 devices",
                    "  rollout  " + RolloutFixtures.ID + "  awaiting approval, phases 1, 10%, 100%",
                    "  next     phase 3 opens");
        }
    }

    @Test
    void jsonPrintsTheServersAnswerWithItsRollout() throws IOException {
        try (StubServer server = publishingStub()) {
            CommandRun.Result result = CommandRun.run(CommandRun.environment(dir, settings(server)), "--json",
                    "v1.4.0", "New wake word", "scheduled");

            assertThat(result.exitCode()).as(result.toString()).isZero();
            UpdateCreated created = ServerConnection.JSON.readValue(result.out(), UpdateCreated.class);
            assertThat(created.rollout().state()).isEqualTo(RolloutState.AWAITING_APPROVAL);
            assertThat(created.update().version()).isEqualTo("v1.4.0");
        }
    }

    @Test
    void aServerOlderThanRolloutsIsSaidToHaveIgnoredTheOptions() throws IOException {
        try (StubServer server = publishingStub(null)) {

            CommandRun.Result result = CommandRun.run(CommandRun.environment(dir, settings(server)),
                    "--phases", "1,100%", "v1.4.0", "New wake word", "scheduled");

            assertThat(result.exitCode()).as(result.toString()).isZero();
            assertThat(result.err()).contains("warning: the server answered without a rollout: it is older than "
                    + "rollouts and ignored phases; v1.4.0 is offered to every targeted device at once");
        }
    }

    @Test
    void withOutputTheRolloutOptionsAreCheckedButNotUsed() {
        CommandRun.Result result = CommandRun.run(environment, "--phases", "1,100%", "--json", "--output", "u.zip",
                "v1.2.3", "Bug fixes", "scheduled");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.err()).contains("the rollout options are checked but not used: --output publishes nothing");
        assertThat(ServerConnection.JSON.readTree(result.out()).get("version").asString()).isEqualTo("v1.2.3");
    }

    /**
     * A server that takes v1.4.0 and answers with this rollout (by default one awaiting approval). create_update checks that the server
     * stored the SHA-256 it built; the package is reproducible, so a build of the same files beforehand tells it.
     */
    private StubServer publishingStub() throws IOException {
        return publishingStub(RolloutFixtures.rollout(RolloutState.AWAITING_APPROVAL, RolloutFixtures.threePhases()));
    }

    private StubServer publishingStub(RolloutView rollout) throws IOException {
        CommandRun.Result built = CommandRun.run(environment, "--output", "built.zip", "v1.4.0", "New wake word",
                "scheduled");
        assertThat(built.exitCode()).as(built.toString()).isZero();
        UpdateView update = update(Sha256.of(dir.resolve("built.zip")));
        StubServer server = new StubServer();
        server.answer("GET", "/api/v1/updates/?size=1", 200, new UpdatePage(List.of(), 0, 1, 0, 0));
        server.answer("POST", "/api/v1/updates/create", 201, new UpdateCreated(update, 0, rollout));
        return server;
    }

    private static String created(StubServer server) {
        return server.requests().stream().filter(request -> request.method().equals("POST")).findFirst()
                .orElseThrow().body();
    }

    private static String field(String name, String value) {
        return "name=\"" + name + "\"\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + value + "\r\n";
    }

    private static UpdateView update(String sha256) {
        return new UpdateView(RolloutFixtures.UPDATE_ID, "v1.4.0", RolloutFixtures.CREATED, UpdateType.SCHEDULED,
                "New wake word", "/api/v1/updates/x/download", sha256, 1000, false, List.of(), Map.of(), null);
    }

    private static Map<String, String> settings(StubServer server) {
        return Map.of("OTA_SERVER_URL", server.url(), "OTA_ADMIN_API_KEY", "admin-key");
    }
}
