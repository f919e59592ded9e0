package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.update.RolloutReconciler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A phase larger than one offer batch ({@code ota.rollouts.offer-batch}, two devices here): the action that opens
 * it offers one batch, each tick after it one more, and a device that checks before its batch comes is offered the
 * update at that check, unless the rollout no longer runs or has a concurrency cap (which keeps its turns). The check
 * looks for such phases only while some phase has devices waiting (PendingBatches): right after the advance commits,
 * it knows.
 */
@TestPropertySource(properties = "ota.rollouts.offer-batch=2")
class RolloutBatchTests extends ApiTestSupport {

    @Autowired
    RolloutReconciler reconciler;

    private RolloutAgents agents;

    @BeforeEach
    void agentsOfThisServer() {
        agents = new RolloutAgents(api, ADMIN);
    }

    @Test
    void anAdvanceOffersOneBatchTheTicksTheRestAndADeviceThatChecksEarlyIsOfferedAtItsCheck() {
        List<TestDevice> fleet = fleet(8);
        String id = publishRollout(Map.of("phases", "1,100%", "min_finished", "1"));
        agents.installAllOffered(fleet, "completed");

        HttpApi.Response advanced = api.post(ApiPaths.rolloutAction(id, "advance"), ADMIN, Map.of());
        assertThat(advanced.status()).as(advanced.toString()).isEqualTo(200);
        JsonNode phase = advanced.json().get("phases").get(1);
        assertThat(phase.get("status_counts").get("pending").asLong()).isEqualTo(2);
        assertThat(phase.get("status_counts").get("queued").asLong()).isEqualTo(5);

        // a device whose batch has not come checks: it is offered the update there and then
        TestDevice early = queued(id).get(0);
        assertThat(agents.offeredVersion(early)).isEqualTo("v1.1.0");
        assertThat(counts(id).get("queued").asLong()).isEqualTo(4);

        assertThat(reconciler.tick().offered()).isEqualTo(2);
        assertThat(reconciler.tick().offered()).isEqualTo(2);
        assertThat(reconciler.tick().offered()).isZero();
        assertThat(counts(id).has("queued")).isFalse();
        assertThat(counts(id).get("pending").asLong()).isEqualTo(7);
        agents.installAllOffered(fleet, "completed");
        reconciler.tick();
        assertThat(agents.state(id)).isEqualTo("finished");
    }

    @Test
    void aDeviceThatChecksEarlyIsNotOfferedAPausedRolloutNorACappedOnesTurn() {
        List<TestDevice> fleet = fleet(6);
        String paused = publishRollout(Map.of("phases", "1,100%", "min_finished", "1"));
        agents.installAllOffered(fleet, "completed");
        assertThat(api.post(ApiPaths.rolloutAction(paused, "advance"), ADMIN, Map.of()).status()).isEqualTo(200);
        assertThat(api.post(ApiPaths.rolloutAction(paused, "pause"), ADMIN, Map.of()).status()).isEqualTo(200);
        List<TestDevice> waiting = queued(paused);
        assertThat(waiting).isNotEmpty();
        assertThat(waiting).allSatisfy(device -> assertThat(agents.offeredVersion(device)).isNull());
        assertThat(queued(paused)).hasSameSizeAs(waiting);

        List<TestDevice> others = fleet(4);
        String capped = publishRollout(Map.of("version", "v1.2.0", "target_devices", uuids(others),
                "max_concurrent", "1"));
        List<TestDevice> turns = queued(capped);
        assertThat(turns).hasSize(3);
        assertThat(turns).allSatisfy(device -> assertThat(agents.offeredVersion(device)).isNull());
        assertThat(agents.offered(others)).hasSize(1);
    }

    @Test
    void aPauseWhileDevicesAreOfferedAtTheirChecksLeavesNoOfferOpen() throws Exception {
        List<TestDevice> fleet = fleet(40);
        String id = publishRollout(Map.of("phases", "1,100%", "min_finished", "1"));
        agents.installAllOffered(fleet, "completed");
        assertThat(api.post(ApiPaths.rolloutAction(id, "advance"), ADMIN, Map.of()).status()).isEqualTo(200);
        List<TestDevice> waiting = queued(id);
        assertThat(waiting).hasSize(37);
        ExecutorService checks = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (TestDevice device : waiting) {
                calls.add(checks.submit(() -> agents.offeredVersion(device)));
            }
            HttpApi.Response paused = api.post(ApiPaths.rolloutAction(id, "pause"), ADMIN, Map.of());
            assertThat(paused.status()).as(paused.toString()).isEqualTo(200);
            for (Future<?> call : calls) {
                call.get(30, TimeUnit.SECONDS);
            }
        } finally {
            checks.shutdownNow();
        }
        // whichever checks came before the pause were offered and then withdrawn; none after it was offered
        assertThat(jdbc.queryForObject("""
                select count(*) from device_updates where rollout_id = ?::uuid and status = 'pending'
                """, Long.class, id)).isZero();
        assertThat(agents.offered(waiting)).isEmpty();
    }

    private List<TestDevice> fleet(int size) {
        List<TestDevice> fleet = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            fleet.add(register("UTC"));
        }
        tokens.addAll(fleet);
        return fleet;
    }

    private final List<TestDevice> tokens = new ArrayList<>();

    /** The rollout's members whose batch has not come, as the database holds them. */
    private List<TestDevice> queued(String rolloutId) {
        List<String> uuids = jdbc.queryForList("""
                select d.device_uuid from rollout_devices rd join devices d on d.id = rd.device_id
                where rd.rollout_id = ?::uuid and not rd.offered order by d.device_uuid
                """, String.class, rolloutId);
        return tokens.stream().filter(device -> uuids.contains(device.uuid())).toList();
    }

    private JsonNode counts(String rolloutId) {
        return agents.view(rolloutId).get("phases").get(1).get("status_counts");
    }

    private String publishRollout(Map<String, String> options) {
        String version = options.getOrDefault("version", "v1.1.0");
        Map<String, Object> form = form(version, "urgent", null, null);
        options.forEach((name, value) -> {
            if (!name.equals("version")) {
                form.put(name, value);
            }
        });
        form.put("package", samplePackage(version, UpdateType.URGENT, null));
        HttpApi.Response published = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        return published.json().get("rollout").get("id").asText();
    }

    private static String uuids(List<TestDevice> devices) {
        return String.join(",", devices.stream().map(TestDevice::uuid).toList());
    }
}
