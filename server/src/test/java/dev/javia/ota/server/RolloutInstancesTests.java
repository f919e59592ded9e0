package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.MutableClock;
import dev.javia.ota.server.testing.WebhookReceiver;
import dev.javia.ota.server.update.RolloutReconciler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 13's "two server instances, one reconciler": two real servers over one PostgreSQL database, each with its own
 * Spring context, HTTP port and {@link RolloutReconciler}, as two replicas behind a load balancer. A is this class's
 * server, B a second one started beside it; both clocks are set together. Of two ticks at once only one judges, and
 * each phase advances once; an operator's action on one instance holds against the other's reconciler; a device's
 * report to either counts for both.
 */
class RolloutInstancesTests extends ApiTestSupport {

    /** How long anything the test waits for may take: far more than it does, so that a hang fails instead. */
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Autowired
    RolloutReconciler reconciler;

    /** The second instance over the same database, started once for the class. */
    private static ConfigurableApplicationContext second;

    private Instance a;
    private Instance b;
    private WebhookReceiver receiver;

    /** One instance as the load balancer reaches it (its HTTP API) and as its job runs (its own reconciler). */
    private record Instance(String name, HttpApi api, RolloutReconciler reconciler, MutableClock clock) {

        RolloutAgents agents() {
            return new RolloutAgents(api, ADMIN);
        }
    }

    @BeforeEach
    void bothInstancesAtNoonAndAWebhookListening() {
        a = new Instance("A", api, reconciler, clock);
        b = secondInstance();
        b.clock().set(clock.instant());
        assertThat(b.reconciler()).isNotSameAs(a.reconciler());
        // with a subscriber, every event is a row of the outbox (nothing delivers it: the jobs are off)
        receiver = WebhookReceiver.start();
        HttpApi.Response subscribed = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", receiver.url(),
                "events", List.of("*")));
        assertThat(subscribed.status()).as(subscribed.toString()).isEqualTo(201);
    }

    @AfterEach
    void stopTheReceiver() {
        receiver.close();
    }

    @AfterAll
    static void stopTheSecondInstance() {
        if (second != null) {
            second.close();
            second = null;
        }
    }

    /**
     * The deterministic overlap: A's tick is held inside its transaction, after it took the advisory lock, by a
     * session that holds the rollout's row as an operator's action does. Meanwhile B's tick skips at once (it neither
     * judges nor waits: without the lock it would queue behind the same row); once the session lets go, A's tick
     * advances the phase, and B's next tick, which runs, does not advance it again.
     */
    @Test
    void whileOneInstanceTicksTheOthersTickSkipsAndThePhaseAdvancesOnce() throws Exception {
        List<TestDevice> fleet = fleet(3);
        String id = publishRollout(Map.of("phases", "1,100%", "min_finished", "1"));
        List<TestDevice> canary = a.agents().offered(fleet);
        assertThat(canary).hasSize(1);
        a.agents().install(canary.get(0), "completed");

        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (Connection operator = Objects.requireNonNull(jdbc.getDataSource()).getConnection()) {
            operator.setAutoCommit(false);
            int operatorPid = holdRow(operator, id);
            Future<RolloutReconciler.Tick> held = threads.submit(a.reconciler()::tick);
            try {
                await("A's tick holding the advisory lock, waiting for the operator's row").atMost(PATIENCE)
                        .pollInterval(Duration.ofMillis(20)).until(() -> lockHoldersWaitingFor(operatorPid) == 1);
                RolloutReconciler.Tick skipped = within(threads.submit(b.reconciler()::tick),
                        "B's tick, which skips rather than wait for A's,");
                assertThat(skipped.ran()).as("B's tick while A's holds the lock").isFalse();
                assertThat(held.isDone()).as("A's tick, held by the operator's row").isFalse();
                assertThat(b.agents().view(id).get("current_phase").asInt()).isZero();
            } finally {
                operator.rollback();
            }
            RolloutReconciler.Tick judged = within(held, "A's tick, once the operator let go,");
            assertThat(judged.ran()).isTrue();
            assertThat(judged.advanced()).isEqualTo(1);
        } finally {
            threads.shutdownNow();
        }
        RolloutReconciler.Tick after = b.reconciler().tick();
        assertThat(after.ran()).isTrue();
        assertThat(after.advanced()).isZero();
        assertThat(b.agents().view(id).get("current_phase").asInt()).isEqualTo(1);
        assertThat(b.agents().offered(fleet)).hasSize(2);
        assertThat(audit(id)).containsExactly("rollout.phase_advanced=system@1");
        assertThat(outbox(id)).containsExactly("rollout.phase_advanced@2");
    }

    /**
     * Both reconcilers tick in a loop at once, as their jobs would on two replicas, while the agents install what
     * they are offered through A: the rollout goes through its five phases, and each step (four advances and the
     * finish) happens once, by the reconcilers' own count, in the audit log and in the webhooks' outbox. Their ticks
     * overlap often (most of them skip); which ones is up to the scheduler, so the test that a tick skips while the
     * other holds the lock is the one above, and this one shows that nothing is done twice when it is left to chance.
     */
    @Test
    void twoInstancesTickingAtOnceTakeEachStepOfTheRolloutOnce() throws Exception {
        List<TestDevice> fleet = fleet(6);
        String id = publishRollout(Map.of("phases", "1,2,3,4,100%", "min_finished", "1"));

        AtomicBoolean finished = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        List<RolloutReconciler.Tick> ticksA;
        List<RolloutReconciler.Tick> ticksB;
        try {
            Future<List<RolloutReconciler.Tick>> onA = threads.submit(ticking(a, start, finished));
            Future<List<RolloutReconciler.Tick>> onB = threads.submit(ticking(b, start, finished));
            start.countDown();
            try {
                await().atMost(PATIENCE).pollInterval(Duration.ofMillis(10)).until(() -> {
                    for (TestDevice device : a.agents().offered(fleet)) {
                        a.agents().install(device, "completed");
                    }
                    return a.agents().state(id).equals("finished") || onA.isDone() || onB.isDone();
                });
            } finally {
                finished.set(true);
            }
            ticksA = within(onA, "A's ticking");
            ticksB = within(onB, "B's ticking");
        } finally {
            threads.shutdownNow();
        }
        String ticks = "A ran " + ran(ticksA) + " of " + ticksA.size() + " ticks, B ran " + ran(ticksB) + " of "
                + ticksB.size();
        assertThat(a.agents().state(id)).as(ticks).isEqualTo("finished");
        assertThat(ran(ticksA)).as(ticks).isPositive();
        assertThat(ran(ticksB)).as(ticks).isPositive();
        // the premise: the two did tick at the same time, and the one that came second skipped
        assertThat(ticksA.size() + ticksB.size() - ran(ticksA) - ran(ticksB)).as(ticks).isPositive();
        List<RolloutReconciler.Tick> all = new ArrayList<>(ticksA);
        all.addAll(ticksB);
        assertThat(all.stream().mapToInt(RolloutReconciler.Tick::advanced).sum()).as(ticks).isEqualTo(4);
        assertThat(all.stream().mapToInt(RolloutReconciler.Tick::finished).sum()).as(ticks).isEqualTo(1);
        assertThat(audit(id)).as(ticks).containsExactly("rollout.finished=system@4",
                "rollout.phase_advanced=system@4", "rollout.phase_advanced=system@3",
                "rollout.phase_advanced=system@2", "rollout.phase_advanced=system@1");
        assertThat(outbox(id)).as(ticks).containsExactlyInAnyOrder("rollout.phase_advanced@2",
                "rollout.phase_advanced@3", "rollout.phase_advanced@4", "rollout.phase_advanced@5",
                "rollout.finished@5");
        assertThat(fleet).allSatisfy(device -> assertThat(versionOf(device)).isEqualTo("v1.1.0"));
    }

    /**
     * The operator pauses through B: A's reconciler, which judges from the database and not from what it saw before,
     * leaves the rollout paused although its phase succeeded, however long it waits; resumed through B, A's next tick
     * advances it.
     */
    @Test
    void aPauseOnOneInstanceHoldsAgainstTheOtherInstancesReconcilerUntilAResumeThere() {
        List<TestDevice> fleet = fleet(3);
        String id = publishRollout(Map.of("phases", "1,100%", "min_finished", "1"));
        TestDevice canary = a.agents().offered(fleet).get(0);
        a.agents().install(canary, "completed");

        HttpApi.Response paused = b.api().post(ApiPaths.rolloutAction(id, "pause"), ADMIN,
                Map.of("reason", "watching the canary"));
        assertThat(paused.status()).as(paused.toString()).isEqualTo(200);
        for (int round = 0; round < 3; round++) {
            RolloutReconciler.Tick tick = a.reconciler().tick();
            assertThat(tick.ran()).isTrue();
            assertThat(tick.advanced()).isZero();
            advance(Duration.ofHours(1));
        }
        JsonNode held = a.agents().view(id);
        assertThat(held.get("state").asText()).isEqualTo("paused");
        assertThat(held.get("current_phase").asInt()).isZero();
        assertThat(held.get("paused_reason").asText()).contains("watching the canary");
        assertThat(a.agents().offered(fleet)).isEmpty();

        HttpApi.Response resumed = b.api().post(ApiPaths.rolloutAction(id, "resume"), ADMIN, Map.of());
        assertThat(resumed.status()).as(resumed.toString()).isEqualTo(200);
        assertThat(a.reconciler().tick().advanced()).isEqualTo(1);
        assertThat(a.agents().view(id).get("current_phase").asInt()).isEqualTo(1);
        assertThat(a.agents().offered(fleet)).hasSize(2);
        assertThat(audit(id)).containsExactly("rollout.phase_advanced=system@1", "rollout.resumed=admin@0",
                "rollout.paused=admin@0");
    }

    /**
     * A canary of two, one installing through A and the other reporting through B: A's tick waits while only its own
     * device has finished, and once B has heard the other's outcome, judges it as any other (advances on success,
     * pauses on failure).
     */
    @ParameterizedTest(name = "{0} through B: {1}")
    @CsvSource(textBlock = """
            completed, running, 1
            failed,    paused,  0
            """)
    void aDeviceReportingToOneInstanceCountsForTheOtherInstancesTick(String outcome, String state, int phase) {
        List<TestDevice> fleet = fleet(4);
        String id = publishRollout(Map.of("phases", "2,100%", "min_finished", "2", "min_sample", "2"));
        List<TestDevice> canary = a.agents().offered(fleet);
        assertThat(canary).hasSize(2);
        a.agents().install(canary.get(0), "completed");
        RolloutReconciler.Tick waiting = a.reconciler().tick();
        assertThat(waiting.advanced() + waiting.paused()).isZero();
        assertThat(a.agents().view(id).get("current_phase").asInt()).isZero();

        b.agents().install(canary.get(1), outcome);
        a.reconciler().tick();
        JsonNode judged = a.agents().view(id);
        assertThat(judged.get("state").asText()).isEqualTo(state);
        assertThat(judged.get("current_phase").asInt()).isEqualTo(phase);
        assertThat(judged.get("phases").get(0).get("status_counts").get(outcome).asLong())
                .isEqualTo(outcome.equals("completed") ? 2 : 1);
        assertThat(versionOf(canary.get(1))).isEqualTo(outcome.equals("completed") ? "v1.1.0" : "v1.0.0");
    }

    // ---- the second instance

    private Instance secondInstance() {
        if (second == null) {
            second = startSecondInstance(Map.of());
        }
        int secondPort = ((WebServerApplicationContext) second).getWebServer().getPort();
        assertThat(secondPort).isNotEqualTo(port);
        return new Instance("B", new HttpApi("http://127.0.0.1:" + secondPort),
                second.getBean(RolloutReconciler.class), second.getBean(MutableClock.class));
    }

    /** Moves both instances' clocks: the device's reports are stamped by one, the judging done by the other. */
    private void advance(Duration duration) {
        a.clock().advance(duration);
        b.clock().advance(duration);
    }

    /** The instance's reconciler ticking, as its job does, from the start signal until the rollout finished. */
    private static Callable<List<RolloutReconciler.Tick>> ticking(Instance instance, CountDownLatch start,
            AtomicBoolean finished) {
        return () -> {
            List<RolloutReconciler.Tick> ticks = new ArrayList<>();
            assertThat(start.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as(instance.name() + " started").isTrue();
            // bounded, so that a rollout stuck for good fails the test rather than spinning
            while (!finished.get() && ticks.size() < 20_000) {
                ticks.add(instance.reconciler().tick());
            }
            return ticks;
        };
    }

    private static <T> T within(Future<T> work, String what) throws Exception {
        try {
            return work.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " did not end within " + PATIENCE.toSeconds() + " s", e);
        }
    }

    private static long ran(List<RolloutReconciler.Tick> ticks) {
        return ticks.stream().filter(RolloutReconciler.Tick::ran).count();
    }

    // ---- what the database shows

    /**
     * Takes the rollout's row in the session's transaction, as an operator's action does ({@code Rollouts.locked}),
     * and answers the session's backend pid.
     */
    private static int holdRow(Connection session, String rolloutId) throws Exception {
        try (PreparedStatement lock = session.prepareStatement(
                "select pg_backend_pid() from rollouts where id = ?::uuid for update")) {
            lock.setString(1, rolloutId);
            try (ResultSet row = lock.executeQuery()) {
                assertThat(row.next()).as("the rollout's row").isTrue();
                return row.getInt(1);
            }
        }
    }

    /** How many sessions hold the reconciler's advisory lock in this database while waiting for {@code pid}. */
    private long lockHoldersWaitingFor(int pid) throws Exception {
        return jdbc.queryForObject("""
                select count(*) from pg_locks l
                where l.locktype = 'advisory' and l.granted
                  and l.database = (select oid from pg_database where datname = current_database())
                  and (l.classid::bigint << 32 | l.objid::bigint) = ?
                  and ? = any(pg_blocking_pids(l.pid))
                """, Long.class, lockKey(), pid);
    }

    /** The rollout's audit entries, newest first, as {@code action=actor@phase} (phases counted from 0, as kept). */
    private List<String> audit(String rolloutId) {
        HttpApi.Response answer = api.get(ApiPaths.AUDIT + "?target_type=rollout&target_id=" + rolloutId
                + "&size=100", ADMIN);
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        List<String> entries = new ArrayList<>();
        answer.json().get("entries").forEach(entry -> entries.add(entry.get("action").asText() + "="
                + entry.get("actor").asText() + "@" + entry.get("details").get("phase").asText()));
        return entries;
    }

    /** The rollout's events in the webhooks' outbox, as {@code event@phase} (phases counted from 1, as sent). */
    private List<String> outbox(String rolloutId) {
        return jdbc.queryForList("""
                select event_type || '@' || (body -> 'data' ->> 'phase') from webhook_deliveries
                where body -> 'data' ->> 'rollout_id' = ?
                """, String.class, rolloutId);
    }

    private static long lockKey() throws Exception {
        var field = RolloutReconciler.class.getDeclaredField("LOCK");
        field.setAccessible(true);
        return field.getLong(null);
    }

    // ---- the simulated fleet, through either instance (RolloutAgents)

    private List<TestDevice> fleet(int size) {
        List<TestDevice> fleet = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            fleet.add(register("UTC"));
        }
        return fleet;
    }

    /** Publishes v1.1.0 as urgent with these rollout options, through A, and answers the rollout's id. */
    private String publishRollout(Map<String, String> options) {
        Map<String, Object> form = form("v1.1.0", "urgent", null, null);
        form.putAll(options);
        form.put("package", samplePackage("v1.1.0", UpdateType.URGENT, null));
        HttpApi.Response published = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        return published.json().get("rollout").get("id").asText();
    }

    private String versionOf(TestDevice device) {
        return a.agents().versionOf(device);
    }
}
