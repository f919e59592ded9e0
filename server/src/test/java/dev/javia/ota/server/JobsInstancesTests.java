package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.device.FleetCounts;
import dev.javia.ota.server.device.OfflineSweep;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.MutableClock;
import dev.javia.ota.server.testing.WebhookReceiver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every background job (Jobs) with its real timer, on two server instances at once over one database, ticking every
 * 100 ms each so that their runs overlap all the time: a rollout goes through its phases and each step is taken once
 * (audit log, webhook outbox), each webhook event reaches the receiver once, the overview's kept counts end equal to
 * the table counted, and silent devices are marked offline. This class's own server keeps its jobs off and serves
 * the API calls; its tests call jobs directly elsewhere (RolloutInstancesTests for the deterministic overlap).
 */
class JobsInstancesTests extends ApiTestSupport {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final Map<String, Object> JOBS_EVERY_100_MS = Map.of("ota.jobs.enabled", "true",
            "ota.rollouts.tick-interval", "100ms", "ota.webhooks.delivery-interval", "100ms",
            "ota.fleet-counts-interval", "100ms", "ota.offline-sweep-interval", "100ms",
            "ota.metrics.refresh", "100ms", "ota.heartbeat-flush-interval", "100ms");

    private final List<ConfigurableApplicationContext> instances = new ArrayList<>();
    private WebhookReceiver receiver;

    @BeforeEach
    void twoInstancesWithTheirJobsOnAndAWebhook() {
        receiver = WebhookReceiver.start();
        HttpApi.Response subscribed = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", receiver.url(),
                "events", List.of("*")));
        assertThat(subscribed.status()).as(subscribed.toString()).isEqualTo(201);
        for (int i = 0; i < 2; i++) {
            ConfigurableApplicationContext instance = startSecondInstance(JOBS_EVERY_100_MS);
            instance.getBean(MutableClock.class).set(clock.instant());
            instances.add(instance);
        }
        assertThat(port(instances.get(0))).isNotEqualTo(port(instances.get(1)));
    }

    @AfterEach
    void stopThem() {
        instances.forEach(ConfigurableApplicationContext::close);
        instances.clear();
        receiver.close();
    }

    @Test
    void eachStepOfEveryJobIsTakenOnceWhileTwoInstancesRunThemAtOnce() {
        List<TestDevice> fleet = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            fleet.add(register("UTC"));
        }
        Map<String, Object> form = form("v1.1.0", "urgent", null, null);
        form.putAll(Map.of("phases", "1,2,100%", "min_finished", "1"));
        form.put("package", samplePackage("v1.1.0", UpdateType.URGENT, null));
        HttpApi.Response published = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        String rollout = published.json().get("rollout").get("id").asText();

        // the devices install whatever they are offered; the instances' reconcilers open the phases
        RolloutAgents agents = new RolloutAgents(api, ADMIN);
        await("the rollout finished by the instances' reconcilers").atMost(PATIENCE)
                .pollInterval(Duration.ofMillis(50)).until(() -> {
                    agents.installAllOffered(fleet, "completed");
                    return agents.state(rollout).equals("finished");
                });

        assertThat(jdbc.queryForList("select action from audit_log where target_id = ? order by id", String.class,
                rollout)).containsExactly("rollout.phase_advanced", "rollout.phase_advanced",
                "rollout.finished");
        // every event of the outbox delivered, each once (the receiver counts deliveries by event id)
        await("the outbox delivered").atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "select count(*) from webhook_deliveries where status <> 'delivered'", Long.class) == 0);
        long events = jdbc.queryForObject("select count(*) from webhook_deliveries", Long.class);
        assertThat(events).as("the rollout's and the devices' events").isGreaterThanOrEqualTo(3);
        await("the receiver got them").atMost(PATIENCE).until(() -> receiver.received().size() >= events);
        assertThat(receiver.received()).hasSize((int) events)
                .extracting(received -> received.header("X-Javia-Event-Id")).doesNotHaveDuplicates();

        // the kept counts, folded by whichever instance held the lock, equal the table counted
        await("the counts folded").atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "select count(*) from fleet_count_changes", Long.class) == 0);
        assertThat(counted(instances.get(0).getBean(FleetCounts.class).now())).isEqualTo(tableCounted());

        // silent for an hour on both clocks: the sweeps mark every device offline, once and for all
        instances.forEach(instance -> instance.getBean(MutableClock.class).advance(Duration.ofHours(1)));
        await("the fleet marked offline").atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "select count(*) from devices where status <> 'offline'", Long.class) == 0);
        assertThat(counted(instances.get(1).getBean(FleetCounts.class).now())).isEqualTo(tableCountedOnceFolded());
        assertThat(OfflineSweep.LOCK_KEY).as("each job's own lock").isNotEqualTo(lockKey(FleetCounts.class));
    }

    private Map<String, Long> tableCountedOnceFolded() {
        await("the offline marks folded").atMost(PATIENCE).until(() -> jdbc.queryForObject(
                "select count(*) from fleet_count_changes", Long.class) == 0);
        return tableCounted();
    }

    private Map<String, Long> tableCounted() {
        Map<String, Long> counts = new java.util.TreeMap<>();
        jdbc.query("select status, coalesce(current_version, '') as version, count(*) as n from devices group by 1, 2",
                row -> {
                    counts.put(row.getString("status") + "/" + row.getString("version"), row.getLong("n"));
                });
        return counts;
    }

    private static Map<String, Long> counted(List<FleetCounts.Count> counts) {
        Map<String, Long> byKey = new java.util.TreeMap<>();
        counts.forEach(count -> byKey.merge(count.status().wire() + "/" + (count.version() == null ? ""
                : count.version()), count.devices(), Long::sum));
        return byKey;
    }

    private static long lockKey(Class<?> job) {
        try {
            var field = job.getDeclaredField("LOCK_KEY");
            field.setAccessible(true);
            return field.getLong(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static int port(ConfigurableApplicationContext instance) {
        return ((WebServerApplicationContext) instance).getWebServer().getPort();
    }
}
