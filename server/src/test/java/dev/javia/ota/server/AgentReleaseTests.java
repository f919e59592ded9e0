package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.server.device.Heartbeats;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.update.RolloutReconciler;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Updates that carry an agent release (issue 16), through the real HTTP API on real PostgreSQL, with heartbeats
 * batched as in production: publishing one (with the app, or the agent alone) records the agent's version and the
 * package's format; a device's heartbeats say its agent's version, which its record shows, and the newest package
 * format it reads; an agent that never said one (every agent before agent releases) is never offered a format-2
 * package: its update fails once, saying what to do, and counts in the rollout's failure rule; a new agent is offered
 * it, already in the answer to the heartbeat that first says its format.
 */
@TestPropertySource(properties = "ota.heartbeat-batching=true")
class AgentReleaseTests extends ApiTestSupport {

    static final String WHAT_TO_DO = "this device's agent cannot read packages that carry an agent release (package"
            + " format 2); upgrade it once from the .deb (docs/operations.md \"Provision a Raspberry Pi\")";

    @Autowired
    Heartbeats heartbeats;
    @Autowired
    RolloutReconciler reconciler;
    @Autowired
    org.springframework.transaction.support.TransactionTemplate transaction;

    @Test
    void publishingAnUpdateWithAnAgentRecordsTheAgentsVersionAndFormat() {
        HttpApi.Response published = publishAgent("v1.3.0", "v0.2.0", true, Map.of());
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        JsonNode update = published.json().get("update");
        assertThat(update.get("agent_version").asText()).isEqualTo("v0.2.0");
        String id = update.get("id").asText();

        assertThat(api.get(ApiPaths.update(id), ADMIN).json().get("agent_version").asText()).isEqualTo("v0.2.0");
        assertThat(api.get(ApiPaths.UPDATES, ADMIN).json().get("updates").get(0).get("agent_version").asText())
                .isEqualTo("v0.2.0");
        assertThat(jdbc.queryForObject("select package_format from updates where id = ?::uuid", Integer.class, id))
                .isEqualTo(2);
        JsonNode audit = api.get(ApiPaths.AUDIT + "?action=update.published&target_id=" + id, ADMIN).json()
                .get("entries").get(0).get("details");
        assertThat(audit.get("agent_version").asText()).isEqualTo("v0.2.0");
        assertThat(audit.get("package_format").asInt()).isEqualTo(2);
        assertThat(audit.get("app_included").asBoolean()).isTrue();
    }

    @Test
    void anAgentOnlyPackageIsAccepted() {
        HttpApi.Response published = publishAgent("v1.3.1", "v0.2.1", false, Map.of());

        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        assertThat(published.json().get("update").get("agent_version").asText()).isEqualTo("v0.2.1");
        String id = published.json().get("update").get("id").asText();
        JsonNode audit = api.get(ApiPaths.AUDIT + "?action=update.published&target_id=" + id, ADMIN).json()
                .get("entries").get(0).get("details");
        assertThat(audit.get("app_included").asBoolean()).isFalse();
    }

    @Test
    void anAppOnlyUpdateSaysNoAgentAndStaysFormatOne() {
        String id = published("v1.3.0", "urgent");

        assertThat(api.get(ApiPaths.update(id), ADMIN).json().path("agent_version").isMissingNode()
                || api.get(ApiPaths.update(id), ADMIN).json().get("agent_version").isNull()).isTrue();
        assertThat(jdbc.queryForObject("select package_format from updates where id = ?::uuid", Integer.class, id))
                .isEqualTo(1);
    }

    @Test
    void theDeviceRecordShowsTheAgentVersionItsHeartbeatsSay() {
        TestDevice device = register("UTC", "v1.2.0");
        assertThat(agentVersion(device)).isNull();

        heartbeat(device, "v0.2.0", 2);
        // written before it was answered: nothing waits for the flush
        assertThat(agentVersion(device)).isEqualTo("v0.2.0");
        assertThat(stored(device, "package_format")).isEqualTo("2");

        // a heartbeat that leaves them out (batched) keeps them
        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.2.0"));
        heartbeats.flush();
        assertThat(agentVersion(device)).isEqualTo("v0.2.0");
        assertThat(stored(device, "package_format")).isEqualTo("2");

        heartbeat(device, "v0.2.1", 2);
        assertThat(agentVersion(device)).isEqualTo("v0.2.1");
        assertThat(api.get(ApiPaths.DEVICES, ADMIN).json().get("devices").get(0).get("agent_version").asText())
                .isEqualTo("v0.2.1");
    }

    /** The Pis that need the .deb once: the devices whose agent never told its version, found by the API. */
    @Test
    void theDeviceListFindsTheDevicesByTheirAgentAndThoseWhoseAgentNeverSaid() {
        TestDevice old = register("UTC", "v1.2.0");
        TestDevice current = register("UTC", "v1.2.0");
        heartbeat(current, "v0.2.0", 2);

        assertThat(uuids(api.get(ApiPaths.DEVICES + "?agent_version=none", ADMIN).json()))
                .contains(old.uuid()).doesNotContain(current.uuid());
        assertThat(uuids(api.get(ApiPaths.DEVICES + "?agent_version=v0.2.0", ADMIN).json()))
                .containsExactly(current.uuid());
        var refused = api.get(ApiPaths.DEVICES + "?agent_version=0.2", ADMIN);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).contains("agent_version must be an agent's version (vMAJOR.MINOR.PATCH")
                .contains("or 'none'");
    }

    private static java.util.List<String> uuids(JsonNode page) {
        java.util.List<String> uuids = new java.util.ArrayList<>();
        page.get("devices").forEach(device -> uuids.add(device.get("device_uuid").asText()));
        return uuids;
    }

    @Test
    void aRepeatedAgentVersionIsBatchedLikeAnyHeartbeatThatChangesNothing() {
        TestDevice device = register("UTC", "v1.2.0");
        heartbeat(device, "v0.2.0", 2);
        heartbeats.flush(); // what earlier tests left gathered
        String seen = stored(device, "last_seen");
        clock.advance(java.time.Duration.ofMinutes(5));

        heartbeat(device, "v0.2.0", 2);

        assertThat(stored(device, "last_seen")).as("waits for the flush").isEqualTo(seen);
        assertThat(heartbeats.flush()).isEqualTo(1);
        assertThat(stored(device, "last_seen")).isNotEqualTo(seen);
    }

    /**
     * The heartbeat's cost stays flat: a batched heartbeat that repeats the agent's version and format is a heap-only
     * (HOT) update of the device's row, and reaches none of the row triggers (no fleet count change). Counted inside the
     * flush's own transaction, on its connection.
     */
    @Test
    void aBatchedHeartbeatThatRepeatsTheAgentFieldsStaysAHotUpdateThatReachesNoTrigger() {
        java.util.List<TestDevice> fleet = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TestDevice device = register("UTC", "v1.2.0");
            heartbeat(device, "v0.2.0", 2);
            fleet.add(device);
        }
        heartbeats.flush();
        clock.advance(java.time.Duration.ofMinutes(5));
        fleet.forEach(device -> heartbeat(device, "v0.2.0", 2));
        Integer countChanges = jdbc.queryForObject("select count(*) from fleet_count_changes", Integer.class);

        // the counts may hold earlier transactions of the same connection not yet reported: the difference is the flush's
        String updates = "select n_tup_upd, n_tup_hot_upd from pg_stat_xact_user_tables where relname = 'devices'";
        long[] counts = transaction.execute(status -> {
            long[] before = jdbc.queryForObject(updates, (rs, row) -> new long[] {rs.getLong(1), rs.getLong(2)});
            int written = heartbeats.flush();
            long[] after = jdbc.queryForObject(updates, (rs, row) -> new long[] {rs.getLong(1), rs.getLong(2)});
            return new long[] {written, after[0] - before[0], after[1] - before[1]};
        });

        assertThat(counts[0]).as("heartbeats flushed").isEqualTo(3);
        assertThat(counts[1]).as("rows updated").isEqualTo(3);
        assertThat(counts[2]).as("of them heap-only").isEqualTo(3);
        assertThat(jdbc.queryForObject("select count(*) from fleet_count_changes", Integer.class))
                .isEqualTo(countChanges);
    }

    @Test
    void aStaleHeartbeatDoesNotPutBackAnOlderAgentVersion() {
        TestDevice device = register("UTC", "v1.2.0");
        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("agent_version", "v0.2.1",
                "package_format", 2, "run_id", "run-1", "seq", 5));

        // made before the one above, arriving after it (a retried request)
        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("agent_version", "v0.2.0",
                "package_format", 2, "run_id", "run-1", "seq", 4));
        heartbeats.flush();

        assertThat(agentVersion(device)).isEqualTo("v0.2.1");
    }

    @Test
    void anOldAgentAlreadyOnTheVersionIsNotFailed() {
        TestDevice old = register("UTC", "v1.2.0");
        String id = publishAgent("v1.3.0", "v0.2.0", true, Map.of()).json().get("update").get("id").asText();
        // its version changed where no scheduler saw it, as an operator's SQL would
        jdbc.update("update devices set current_version = 'v1.3.0' where device_uuid = ?", old.uuid());

        assertThat(offered(old)).isNull();
        assertThat(jdbc.queryForObject("select status from device_updates where update_id = ?::uuid", String.class,
                id)).isEqualTo("pending");
    }

    @Test
    void refusesAnAgentVersionOrFormatThatIsNotOne() {
        TestDevice device = register("UTC", "v1.2.0");
        assertProblem(api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("agent_version", "v0.2.0; rm -rf /")), 400, "agent_version");
        assertProblem(api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("package_format", 0)),
                400, "package_format");
    }

    @Test
    void anAgentBeforeAgentReleasesIsNeverOfferedAFormatTwoPackageAndItsUpdateFailsOnceSayingWhatToDo() {
        TestDevice old = register("UTC", "v1.2.0");
        HttpApi.Response published = publishAgent("v1.3.0", "v0.2.0", true, Map.of());
        String id = published.json().get("update").get("id").asText();
        assertThat(published.json().get("scheduled_devices").asInt()).isEqualTo(1);

        // as such an agent heartbeats and checks: no agent_version, no package_format
        JsonNode answer = api.post(ApiPaths.heartbeat(old.uuid()), old.token(), Map.of("current_version", "v1.2.0"))
                .json();
        assertThat(answer.get("update_check").get("update_available").asBoolean()).isFalse();
        assertThat(offered(old)).isNull();

        JsonNode failed = api.get(ApiPaths.updateDevices(id) + "?status=failed", ADMIN).json();
        assertThat(failed.get("devices")).hasSize(1);
        String error = failed.get("devices").get(0).get("error_message").asText();
        assertThat(error).contains(WHAT_TO_DO).contains("retry-failed v1.3.0");
        assertThat(api.get(ApiPaths.device(old.uuid()), ADMIN).json().get("current_update").get("error_message")
                .asText()).isEqualTo(error);
        String failedAt = jdbc.queryForObject("select updated_at::text from device_updates where update_id = ?::uuid",
                String.class, id);

        // once: later checks find it failed and change nothing
        clock.advance(java.time.Duration.ofMinutes(5));
        assertThat(offered(old)).isNull();
        assertThat(jdbc.queryForObject("select updated_at::text from device_updates where update_id = ?::uuid",
                String.class, id)).isEqualTo(failedAt);
        assertThat(jdbc.queryForObject("select status from devices where device_uuid = ?", String.class, old.uuid()))
                .isEqualTo("online");
    }

    @Test
    void aNewAgentIsOfferedItInTheAnswerToTheHeartbeatThatFirstSaysItsFormat() {
        TestDevice device = register("UTC", "v1.2.0");
        publishAgent("v1.3.0", "v0.2.0", true, Map.of());

        JsonNode answer = heartbeat(device, "v0.1.9", 2);

        assertThat(answer.get("update_check").get("update_available").asBoolean()).isTrue();
        assertThat(answer.get("update_check").get("update").get("version").asText()).isEqualTo("v1.3.0");
        assertThat(offered(device)).isEqualTo("v1.3.0");
    }

    @Test
    void anAppOnlyUpdateIsStillOfferedToAnAgentBeforeAgentReleases() {
        TestDevice old = register("UTC", "v1.2.0");
        published("v1.3.0", "urgent");

        assertThat(offered(old)).isEqualTo("v1.3.0");
    }

    @Test
    void withheldUpdatesCountInTheRolloutsFailureRule() {
        java.util.List<TestDevice> fleet = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fleet.add(register("UTC", "v1.2.0"));
        }
        HttpApi.Response published = publishAgent("v1.3.0", "v0.2.0", true, Map.of("phases", "1,100%"));
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        String rollout = published.json().get("rollout").get("id").asText();
        // the canary's check fails its update; the others are not offered it yet
        assertThat(fleet).allSatisfy(device -> assertThat(offered(device)).isNull());

        reconciler.tick();

        JsonNode view = api.get(ApiPaths.rollout(rollout), ADMIN).json();
        assertThat(view.get("state").asText()).isEqualTo("paused");
        assertThat(view.get("paused_reason").asText()).contains("failure rule").contains("1 failed");
    }

    /** What an agent of issue 16 sends: its own version and the newest package format it reads. */
    private JsonNode heartbeat(TestDevice device, String agentVersion, int packageFormat) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("current_version", "v1.2.0");
        body.put("agent_version", agentVersion);
        body.put("package_format", packageFormat);
        HttpApi.Response answer = api.post(ApiPaths.heartbeat(device.uuid()), device.token(), body);
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        return answer.json();
    }

    private String agentVersion(TestDevice device) {
        JsonNode view = api.get(ApiPaths.device(device.uuid()), ADMIN).json();
        return view.get("agent_version") == null || view.get("agent_version").isNull() ? null
                : view.get("agent_version").asText();
    }

    private String stored(TestDevice device, String column) {
        return jdbc.queryForObject("select " + column + "::text from devices where device_uuid = ?", String.class,
                device.uuid());
    }

    /** The version the device's check offers it, or null. */
    private String offered(TestDevice device) {
        JsonNode check = api.get(ApiPaths.check(device.uuid()), device.token()).json();
        return check.get("update_available").asBoolean() ? check.get("update").get("version").asText() : null;
    }

    /** Publishes an urgent update carrying agent {@code agentVersion}, with the app or without, and rollout fields. */
    private HttpApi.Response publishAgent(String version, String agentVersion, boolean withApp,
            Map<String, String> rolloutFields) {
        Map<String, Object> form = form(version, "urgent", null, null);
        form.putAll(rolloutFields);
        form.put("package", agentPackage(version, agentVersion, withApp));
        return api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
    }

    private Path agentPackage(String version, String agentVersion, boolean withApp) {
        return agentPackage(work, version, agentVersion, withApp);
    }

    /** An urgent package of {@code version} carrying agent {@code agentVersion}, built under {@code work}. */
    static Path agentPackage(Path work, String version, String agentVersion, boolean withApp) {
        try {
            Path dir = Files.createDirectories(work.resolve("agent-" + version));
            return PackageBuilder.sampleAgentPackage(dir, Version.parse(version), UpdateType.URGENT,
                    Version.parse(agentVersion), agentJar(dir.resolve("pi-agent.jar")), withApp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A jar as the agent's shaded jar looks to the server: a ZIP with a manifest naming its main class. */
    static Path agentJar(Path file) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "dev.javia.ota.agent.Main");
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(file), manifest)) {
            jar.putNextEntry(new JarEntry("dev/javia/ota/agent/Main.class"));
            jar.write(new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE});
            jar.closeEntry();
        }
        return file;
    }
}
