package dev.javia.ota.server;

import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.server.device.Heartbeats;
import dev.javia.ota.server.device.OfflineSweep;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.testing.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.TestPropertySource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two instances behind a load balancer gather heartbeats of the same devices (a device reaches either), and flush
 * them at the same moment, again and again, while the offline sweep runs: no flush fails (bench/instances_bench.sh
 * saw flushes fail on "deadlock detected" between the instances: an {@code UPDATE ... FROM unnest} locks its rows in
 * the order of its plan, not of the sorted batch), and every device's last_seen is the later of the two.
 */
@TestPropertySource(properties = "ota.heartbeat-batching=true")
class HeartbeatFlushInstancesTests extends ApiTestSupport {

    /** Enough for PostgreSQL to join the batch by hash, whose row order is not the batch's. */
    private static final int DEVICES = 8_000;
    private static final int ROUNDS = 20;

    private static final Heartbeat ONLINE = new Heartbeat("v1.0.0", DeviceStatus.ONLINE, null);

    @Autowired
    Heartbeats heartbeats;
    @Autowired
    OfflineSweep sweep;

    private static ConfigurableApplicationContext second;

    @AfterAll
    static void stopTheSecondInstance() {
        if (second != null) {
            second.close();
            second = null;
        }
    }

    @Test
    void flushesOfTheSameDevicesOnTwoInstancesAtOnceNeverFailAndKeepTheLaterLastSeen() throws Exception {
        second = startSecondInstance(Map.of("ota.heartbeat-batching", "true"));
        second.getBean(MutableClock.class).set(clock.instant());
        Heartbeats secondHeartbeats = second.getBean(Heartbeats.class);
        // the fleet by SQL (registering 8,000 over HTTP would take the test's time); heartbeats go to each
        // instance's Heartbeats as its controller hands them on, for the device the token named
        jdbc.update("""
                insert into devices (id, device_uuid, device_name, registered_at, last_seen, current_version, timezone,
                                     status, metadata, token_hash, token_issued_at)
                select gen_random_uuid(), '00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'), 'pi-' || n, ?, ?,
                       'v1.0.0', 'UTC', 'online', '{}'::jsonb, md5(n::text) || md5(n::text), ?
                from generate_series(1, ?) as n
                """, java.sql.Timestamp.from(clock.instant()), java.sql.Timestamp.from(clock.instant()),
                java.sql.Timestamp.from(clock.instant()), DEVICES);
        List<Caller> fleet = jdbc.query("select id, device_uuid from devices",
                (rs, row) -> Caller.device(rs.getObject("id", java.util.UUID.class), rs.getString("device_uuid")));
        Random random = new Random(20261204L);
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                clock.advance(Duration.ofSeconds(1));
                second.getBean(MutableClock.class).advance(Duration.ofSeconds(2));
                // each instance gathers the whole fleet's heartbeats, in an order of its own
                List<Caller> order = new ArrayList<>(fleet);
                Collections.shuffle(order, random);
                for (Caller device : order) {
                    heartbeats.receive(device, device.deviceUuid(), ONLINE);
                    secondHeartbeats.receive(device, device.deviceUuid(), ONLINE);
                }
                assertThat(heartbeats.pendingSize()).isEqualTo(DEVICES);
                assertThat(secondHeartbeats.pendingSize()).isEqualTo(DEVICES);
                CountDownLatch start = new CountDownLatch(1);
                var onA = CompletableFuture.supplyAsync(() -> awaitThen(start, heartbeats::flush), threads);
                var onB = CompletableFuture.supplyAsync(() -> awaitThen(start, secondHeartbeats::flush), threads);
                var sweeping = CompletableFuture.supplyAsync(() -> awaitThen(start, sweep::tick), threads);
                start.countDown();
                assertThat(onA.get(30, TimeUnit.SECONDS)).as("round %d: A's flush wrote all", round)
                        .isEqualTo(DEVICES);
                assertThat(onB.get(30, TimeUnit.SECONDS)).as("round %d: B's flush wrote all", round)
                        .isEqualTo(DEVICES);
                sweeping.get(30, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        // B's clock ran ahead: its receipt time is every device's last_seen, whichever flush came last
        assertThat(jdbc.queryForObject("select count(*) from devices where last_seen = ?", Long.class,
                java.sql.Timestamp.from(second.getBean(MutableClock.class).instant()))).isEqualTo(DEVICES);
    }

    private static int awaitThen(CountDownLatch start, java.util.function.IntSupplier work) {
        try {
            assertThat(start.await(30, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return work.getAsInt();
    }

}
