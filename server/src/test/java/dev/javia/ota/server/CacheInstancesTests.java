package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.events.FleetEvents;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.MutableClock;
import dev.javia.ota.server.update.RolloutReconciler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What each server instance keeps in memory about the database, with two instances over one database, heartbeats
 * batched as in production: a change made through one (or by hand in SQL) is not answered from the other's memory
 * once the change's notification reached it. Each test waits for that deterministically: PostgreSQL delivers
 * notifications in commit order, so once an instance heard a marker sent after the change, it heard the change.
 * Clocks are frozen, so that nothing is re-read because time passed. Tokens are TokenRevocationTests'.
 */
@TestPropertySource(properties = {"ota.heartbeat-batching=true", "ota.rollouts.offer-batch=1"})
class CacheInstancesTests extends ApiTestSupport {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @Autowired
    FleetEvents events;
    @Autowired
    RolloutReconciler reconciler;

    /** The second instance, B; this class's server is A. */
    private static ConfigurableApplicationContext second;
    private HttpApi b;

    @BeforeEach
    void secondInstanceAtTheSameTime() {
        if (second == null) {
            second = startSecondInstance(Map.of("ota.heartbeat-batching", "true", "ota.rollouts.offer-batch", "1"));
        }
        second.getBean(MutableClock.class).set(clock.instant());
        b = new HttpApi("http://127.0.0.1:" + ((WebServerApplicationContext) second).getWebServer().getPort());
    }

    @AfterAll
    static void stopTheSecondInstance() {
        if (second != null) {
            second.close();
            second = null;
        }
    }

    /**
     * The case that matters on a device: A saw the device's agent read format 1; the new agent (format 2) told B; an
     * agent release for format 2 is published; the new agent is rolled back by the guard, and the old one heartbeats
     * A, saying format 1 again. Had A taken that for a repeat of what it saw, it would batch the heartbeat, and the
     * check that answers it would read format 2 from the row and offer the old agent a package it cannot read.
     */
    @Test
    void aPackageFormatWrittenThroughOneInstanceIsNotTakenForARepeatOnTheOther() {
        TestDevice device = register("UTC", "v1.2.0");
        heartbeat(api, device, "v0.1.0", 1);
        heartbeat(b, device, "v0.2.0", 2);
        assertThat(stored(device, "package_format")).isEqualTo("2");
        HttpApi.Response published = publishAgent("v1.3.0", "v0.2.0");
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        heardEverythingBefore(events, "A");

        JsonNode answer = heartbeat(api, device, "v0.1.0", 1);

        assertThat(stored(device, "package_format")).as("written before the answer").isEqualTo("1");
        assertThat(stored(device, "agent_version")).isEqualTo("v0.1.0");
        assertThat(answer.get("update_check").get("update_available").asBoolean())
                .as("the old agent is not offered the format-2 package").isFalse();
        assertThat(jdbc.queryForObject("select status from device_updates where update_id = ?::uuid", String.class,
                published.json().get("update").get("id").asText())).isEqualTo("failed");
    }

    /** An offer both instances hold, changed in SQL (as an operator might, or a later feature): both offer the new. */
    @Test
    void anOfferChangedInTheDatabaseIsOfferedAsChangedByBothInstances() {
        TestDevice device = register("UTC", "v1.0.0");
        String id = published("v1.1.0", "urgent");
        assertThat(offer(api, device).get("description").asText()).isNotEqualTo("changed by hand");
        assertThat(offer(b, device).get("description").asText()).isNotEqualTo("changed by hand");

        jdbc.update("update updates set description = 'changed by hand' where id = ?::uuid", id);
        heardEverythingBefore(events, "A");
        heardEverythingBefore(second.getBean(FleetEvents.class), "B");

        assertThat(offer(api, device).get("description").asText()).isEqualTo("changed by hand");
        assertThat(offer(b, device).get("description").asText()).isEqualTo("changed by hand");
    }

    /**
     * A change whose notification was lost (sent while an instance's listener was down: here, made with the trigger
     * off) is read again when the listener listens again: what it missed is unknown, so every cached offer goes.
     */
    @Test
    void aChangeMissedWhileNotListeningIsReadAgainWhenTheListenerIsBack() {
        TestDevice device = register("UTC", "v1.0.0");
        String id = published("v1.1.0", "urgent");
        assertThat(offer(api, device).get("description").asText()).isNotEqualTo("missed");
        jdbc.execute("alter table updates disable trigger updates_event");
        try {
            jdbc.update("update updates set description = 'missed' where id = ?::uuid", id);
        } finally {
            jdbc.execute("alter table updates enable trigger updates_event");
        }
        heardEverythingBefore(events, "A");
        assertThat(offer(api, device).get("description").asText()).as("not told: still the cached offer")
                .isNotEqualTo("missed");

        events.listening(); // what the listener tells every channel when its connection is back

        assertThat(offer(api, device).get("description").asText()).isEqualTo("missed");
    }

    /**
     * A phase opened by B's reconciler, larger than one batch: a device of it that checks A the moment after is
     * offered the update there and then (A read "no phase waits for a batch" just before, and its clock stands
     * still, so only the rollout's event can make it look again).
     */
    @Test
    void aPhaseAnotherInstanceOpenedIsOfferedAtTheNextCheckHere() {
        List<TestDevice> fleet = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fleet.add(register("UTC"));
        }
        Map<String, Object> form = form("v1.1.0", "urgent", null, null);
        form.putAll(Map.of("phases", "1,100%", "min_finished", "1"));
        form.put("package", samplePackage("v1.1.0", dev.javia.ota.protocol.api.UpdateType.URGENT, null));
        HttpApi.Response published = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        RolloutAgents agents = new RolloutAgents(api, ADMIN);
        List<TestDevice> canary = agents.offered(fleet);
        assertThat(canary).hasSize(1);
        agents.install(canary.get(0), "completed");
        List<TestDevice> rest = new ArrayList<>(fleet);
        rest.removeAll(canary);
        // A reads that no phase waits for a batch (the canary's phase is all offered)
        assertThat(check(api, rest.get(0)).get("update_available").asBoolean()).isFalse();

        RolloutReconciler.Tick tick = second.getBean(RolloutReconciler.class).tick();
        assertThat(tick.advanced()).as("B opened the second phase").isEqualTo(1);
        long waiting = jdbc.queryForObject("select count(*) from rollout_devices where not offered", Long.class);
        assertThat(waiting).as("devices of the phase its batches left (" + tick + ")").isPositive();
        heardEverythingBefore(events, "A");

        for (TestDevice device : rest) {
            assertThat(check(api, device).get("update_available").asBoolean()).as(device.uuid()).isTrue();
        }
    }

    /**
     * Waits until this instance's listener delivered a marker sent after everything committed so far: PostgreSQL
     * delivers notifications in commit order, so every change before it was delivered too.
     */
    private void heardEverythingBefore(FleetEvents instance, String name) {
        String marker = UUID.randomUUID().toString();
        CountDownLatch heard = new CountDownLatch(1);
        try (AutoCloseable following = instance.follow(event -> {
            if (marker.equals(event.id())) {
                heard.countDown();
            }
        })) {
            jdbc.queryForList("select pg_notify(?, ?)", FleetEvents.CHANNEL, "webhook:" + marker);
            assertThat(heard.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as(name + " heard the marker").isTrue();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private JsonNode heartbeat(HttpApi instance, TestDevice device, String agentVersion, int packageFormat) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("current_version", "v1.2.0");
        body.put("agent_version", agentVersion);
        body.put("package_format", packageFormat);
        HttpApi.Response answer = instance.post(ApiPaths.heartbeat(device.uuid()), device.token(), body);
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        return answer.json();
    }

    private JsonNode check(HttpApi instance, TestDevice device) {
        HttpApi.Response answer = instance.get(ApiPaths.check(device.uuid()), device.token());
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        return answer.json();
    }

    private JsonNode offer(HttpApi instance, TestDevice device) {
        JsonNode check = check(instance, device);
        assertThat(check.get("update_available").asBoolean()).as(check.toString()).isTrue();
        return check.get("update");
    }

    private HttpApi.Response publishAgent(String version, String agentVersion) {
        Map<String, Object> form = form(version, "urgent", null, null);
        form.put("package", AgentReleaseTests.agentPackage(work, version, agentVersion, true));
        return api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
    }

    private String stored(TestDevice device, String column) {
        return jdbc.queryForObject("select " + column + "::text from devices where device_uuid = ?", String.class,
                device.uuid());
    }
}
