package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.device.Heartbeats;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.TestPropertySource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Order of arrival never corrupts a device's record (issue 12, defect 1): whatever order heartbeats, status reports
 * and the batched flush come in, a report outranks every heartbeat made before it (by seq within one agent run;
 * received before it, for an agent that sends no seq), current_version never moves back because of a stale
 * heartbeat, and a completed update stays completed.
 */
@TestPropertySource(properties = "ota.heartbeat-batching=true")
class MessageOrderTests extends ApiTestSupport {

    @Autowired
    Heartbeats heartbeats;

    /** A second server instance over the same database, with its own batch: steps prefixed "B:" go to it. */
    private static ConfigurableApplicationContext second;

    private String updateId;

    @BeforeEach
    void publishTheUpdate() {
        updateId = published("v1.1.0", "urgent");
    }

    @AfterAll
    static void stopTheSecondServer() {
        if (second != null) {
            second.close();
            second = null;
        }
    }

    /**
     * The same, with two server instances over one database, each batching its own heartbeats: a report on one never
     * loses to a heartbeat the other received (or was made) before it, whichever flushes when.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            old agent: heartbeat batched on A, completed on B, A flushes last | hb/online/v1.0.0 B:downloading B:installing B:completed B:flush flush | online | v1.1.0 | completed
            old agent: heartbeat batched on B, completed on A, B flushes last | B:hb/online/v1.0.0 downloading installing completed flush B:flush | online | v1.1.0 | completed
            seq: updating heartbeat made before completed, batched on B, flushed after | downloading/1 installing/2 B:hb/updating/v1.0.0/3 completed/4 flush B:flush | online | v1.1.0 | completed
            seq: both batches hold a heartbeat, the older flushed last | downloading/1 installing/2 completed/3 B:hb/online/v1.1.0/5 hb/online/v1.1.0/4 B:flush flush | online | v1.1.0 | completed
            seq: failed on B, an older heartbeat batched on A | downloading/1 installing/2 hb/updating/v1.0.0/3 B:failed/4 B:flush flush | online | v1.0.0 | failed
            """)
    void noOrderAcrossTwoServersCorruptsTheRecord(String scenario, String steps, String status, String version,
            String updateStatus) {
        TestDevice device = play(scenario, steps);
        secondServer().getBean(Heartbeats.class).flush();

        assertRecord(device, status, version, updateStatus);
    }

    private ConfigurableApplicationContext secondServer() {
        if (second == null) {
            second = startSecondInstance(Map.of("ota.heartbeat-batching", "true"));
        }
        second.getBean(MutableClock.class).set(clock.instant());
        return second;
    }

    /**
     * Steps, one second apart, on a device at v1.0.0 offered v1.1.0: {@code hb/<status>/<version>[/<seq>]} a
     * heartbeat, {@code <report>[/<seq>]} a status report, {@code flush} the batched flush. The seq, when given,
     * belongs to one agent run; without it the message is an older agent's. Then a last flush, and the record.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            # an agent without seq
            batched online heartbeat before completed, flushed after (issue 12) | downloading installing hb/online/v1.0.0 completed flush | online | v1.1.0 | completed
            flushed before the report                     | downloading installing hb/online/v1.0.0 flush completed | online | v1.1.0 | completed
            updating heartbeat written at once, then completed | downloading hb/updating/v1.0.0 installing completed flush | online | v1.1.0 | completed
            new version after completed, all batched      | downloading installing hb/online/v1.0.0 completed hb/online/v1.1.0 flush | online | v1.1.0 | completed
            batched online heartbeat before failed        | downloading installing hb/online/v1.0.0 failed flush | online | v1.0.0 | failed
            updating heartbeat written at once, then failed| downloading hb/updating/v1.0.0 failed flush | online | v1.0.0 | failed
            a heartbeat after the report still counts      | downloading installing completed hb/online/v1.1.0 flush | online | v1.1.0 | completed
            # an agent that sends seq, heartbeating on its own thread during the install
            updating heartbeat made before completed arrives after it (issue 12) | downloading/1 installing/2 completed/4 hb/updating/v1.0.0/3 flush | online | v1.1.0 | completed
            online heartbeat with the old version arrives after completed | downloading/1 installing/2 completed/4 hb/online/v1.0.0/3 flush | online | v1.1.0 | completed
            batched old heartbeat flushed after completed  | downloading/1 installing/2 hb/online/v1.0.0/3 completed/4 flush | online | v1.1.0 | completed
            late updating heartbeat after a newer online one | downloading/1 installing/2 completed/4 hb/online/v1.1.0/5 hb/updating/v1.0.0/3 flush | online | v1.1.0 | completed
            late heartbeats in the batch, out of order     | downloading/1 installing/2 completed/5 hb/online/v1.1.0/7 hb/online/v1.0.0/3 hb/online/v1.1.0/6 flush | online | v1.1.0 | completed
            updating heartbeat made before failed arrives after it | downloading/1 installing/2 failed/4 hb/updating/v1.0.0/3 flush | online | v1.0.0 | failed
            a heartbeat made after completed wins          | downloading/1 installing/2 completed/3 hb/online/v1.1.0/4 flush | online | v1.1.0 | completed
            """)
    void noOrderOfArrivalCorruptsTheRecord(String scenario, String steps, String status, String version,
            String updateStatus) {
        TestDevice device = play(scenario, steps);

        assertRecord(device, status, version, updateStatus);
    }

    /** A new device at v1.0.0 takes the steps one second apart, then this server flushes. */
    private TestDevice play(String scenario, String steps) {
        TestDevice device = register("UTC", "v1.0.0");
        for (String step : steps.trim().split("\\s+")) {
            clock.advance(Duration.ofSeconds(1));
            perform(device, step, "run-" + scenario.hashCode());
        }
        heartbeats.flush();
        return device;
    }

    private void assertRecord(TestDevice device, String status, String version, String updateStatus) {
        assertThat(deviceField(device, "status")).as("device status").isEqualTo(status);
        assertThat(deviceField(device, "current_version")).as("current_version").isEqualTo(version);
        assertThat(updateStatus(device)).as("device_updates status").isEqualTo(updateStatus);
    }

    /**
     * A seeded sweep of interleavings: an install as the agent makes it (heartbeats before, during and after it,
     * reports in their order), delivered with heartbeats shuffled among the reports (an agent with seq) or in
     * order (an agent without), and flushes at random points. No interleaving loses the completed record or moves
     * the version back once the completed report was accepted.
     */
    @Test
    void noInterleavingLosesACompletedUpdateOrMovesTheVersionBack() {
        Random random = new Random(20261202L);
        for (int run = 0; run < 60; run++) {
            boolean withSeq = run % 2 == 0;
            boolean succeeds = random.nextInt(4) != 0;
            TestDevice device = register("UTC", "v1.0.0");
            List<String> made = new ArrayList<>();
            addHeartbeats(made, random, "online", "v1.0.0");
            made.add("downloading");
            addHeartbeats(made, random, "updating", "v1.0.0");
            made.add("installing");
            addHeartbeats(made, random, "updating", "v1.0.0");
            made.add(succeeds ? "completed" : "failed");
            addHeartbeats(made, random, "online", succeeds ? "v1.1.0" : "v1.0.0");
            List<String> stamped = new ArrayList<>();
            for (int i = 0; i < made.size(); i++) {
                stamped.add(withSeq ? made.get(i) + "/" + (i + 1) : made.get(i));
            }
            List<String> delivered = withSeq ? shuffleHeartbeats(stamped, random) : stamped;
            String runId = UUID.randomUUID().toString();
            boolean completed = false;
            for (String step : delivered) {
                if (random.nextInt(3) == 0) {
                    heartbeats.flush();
                }
                clock.advance(Duration.ofMillis(1 + random.nextInt(2000)));
                perform(device, step, runId);
                completed |= step.startsWith("completed");
                if (completed) {
                    assertThat(deviceField(device, "current_version")).as("run %d %s", run, delivered)
                            .isEqualTo("v1.1.0");
                    assertThat(updateStatus(device)).as("run %d %s", run, delivered).isEqualTo("completed");
                }
            }
            heartbeats.flush();

            String what = "run " + run + " " + delivered;
            assertThat(updateStatus(device)).as(what).isEqualTo(succeeds ? "completed" : "failed");
            assertThat(deviceField(device, "current_version")).as(what).isEqualTo(succeeds ? "v1.1.0" : "v1.0.0");
            assertThat(deviceField(device, "status")).as(what).isEqualTo("online");
        }
    }

    @Test
    void anOlderAgentWithoutSeqIsOrderedByReceipt() {
        TestDevice device = register("UTC", "v1.0.0");
        HttpApi.Response beat = api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("current_version", "v1.0.0", "status", "online", "metadata", Map.of("uptime_seconds", 5)));
        assertThat(beat.status()).as(beat.toString()).isEqualTo(200);
        for (String status : new String[] {"downloading", "installing", "completed"}) {
            clock.advance(Duration.ofSeconds(1));
            HttpApi.Response report = api.post(ApiPaths.updateStatus(updateId), device.token(),
                    Map.of("status", status));
            assertThat(report.status()).as(report.toString()).isEqualTo(200);
        }
        heartbeats.flush();

        assertThat(deviceField(device, "current_version")).isEqualTo("v1.1.0");
        assertThat(jdbc.queryForObject("select order_seq from devices where device_uuid = ?", Long.class,
                device.uuid())).isNull();
    }

    @Test
    void aRunIdTooLongIsRefused() {
        TestDevice device = register("UTC", "v1.0.0");
        assertProblem(api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("run_id", "r".repeat(65), "seq", 1)), 400, "run_id");
        assertProblem(api.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                Map.of("run_id", "r", "seq", -1)), 400, "seq");
    }

    private static void addHeartbeats(List<String> made, Random random, String status, String version) {
        for (int i = random.nextInt(3); i > 0; i--) {
            made.add("hb/" + status + "/" + version);
        }
    }

    /**
     * Reports stay in the order they were made: one thread sends them, each after the answer to the one before.
     * A heartbeat may be delayed past any later message, and may overtake the report made just before it (both in
     * flight), but not the one before that: that one was answered before the heartbeat was made.
     */
    private static List<String> shuffleHeartbeats(List<String> made, Random random) {
        List<String> delivered = new ArrayList<>(made.stream().filter(step -> !step.startsWith("hb/")).toList());
        int reportsBefore = 0;
        for (String step : made) {
            if (!step.startsWith("hb/")) {
                reportsBefore++;
                continue;
            }
            int earliest = reportsBefore < 2 ? 0 : delivered.indexOf(made.stream()
                    .filter(other -> !other.startsWith("hb/")).toList().get(reportsBefore - 2)) + 1;
            delivered.add(earliest + random.nextInt(delivered.size() - earliest + 1), step);
        }
        return delivered;
    }

    private void perform(TestDevice device, String step, String runId) {
        boolean onSecond = step.startsWith("B:");
        HttpApi server = onSecond ? new HttpApi(secondUrl()) : api;
        step = onSecond ? step.substring(2) : step;
        if (step.equals("flush")) {
            (onSecond ? secondServer().getBean(Heartbeats.class) : heartbeats).flush();
            return;
        }
        String[] parts = step.split("/");
        Map<String, Object> body = new LinkedHashMap<>();
        String path;
        Long seq;
        if (parts[0].equals("hb")) {
            path = ApiPaths.heartbeat(device.uuid());
            body.put("status", parts[1]);
            body.put("current_version", parts[2]);
            seq = parts.length > 3 ? Long.valueOf(parts[3]) : null;
        } else {
            path = ApiPaths.updateStatus(updateId);
            body.put("status", parts[0]);
            if (parts[0].equals("failed")) {
                body.put("error_message", "apt-get install failed");
            }
            seq = parts.length > 1 ? Long.valueOf(parts[1]) : null;
        }
        if (seq != null) {
            body.put("run_id", runId);
            body.put("seq", seq);
        }
        HttpApi.Response response = server.post(path, device.token(), body);
        assertThat(response.status()).as(step + ": " + response).isEqualTo(200);
    }

    private String secondUrl() {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) secondServer()).getWebServer().getPort();
    }

    private String deviceField(TestDevice device, String column) {
        return jdbc.queryForObject("select " + column + " from devices where device_uuid = ?", String.class,
                device.uuid());
    }

    private String updateStatus(TestDevice device) {
        return jdbc.queryForObject("""
                select du.status from device_updates du join devices d on d.id = du.device_id
                where d.device_uuid = ? and du.update_id = ?::uuid
                """, String.class, device.uuid(), updateId);
    }
}
