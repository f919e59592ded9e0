package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.device.OfflineSweep;
import dev.javia.ota.server.notify.WebhookDelivery;
import dev.javia.ota.server.testing.TestDatabaseInitializer;
import dev.javia.ota.server.testing.WebhookReceiver;
import dev.javia.ota.server.update.RolloutReconciler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Rollouts through the real HTTP API on real PostgreSQL, with a clock the test sets and agents simulated by their
 * HTTP calls (check, then status reports); the reconciler's tick is called as its job would.
 */
class RolloutTests extends ApiTestSupport {

    static final String SECOND_ADMIN = TestDatabaseInitializer.SECOND_ADMIN_KEY;

    @Autowired
    RolloutReconciler reconciler;
    @Autowired
    WebhookDelivery webhookDelivery;
    @Autowired
    OfflineSweep offlineSweep;

    private RolloutAgents agents;

    @BeforeEach
    void agentsOfThisServer() {
        agents = new RolloutAgents(api, ADMIN);
    }

    @Test
    void withNoRolloutOptionsEveryDeviceIsOfferedTheUpdateAtOnceInOnePhase() {
        List<TestDevice> fleet = fleet(4, "Europe/Berlin", "America/New_York");
        HttpApi.Response published = publish("v1.1.0", "urgent");
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        JsonNode rollout = published.json().get("rollout");
        assertThat(published.json().get("scheduled_devices").asInt()).isEqualTo(4);
        assertThat(rollout.get("state").asText()).isEqualTo("running");
        assertThat(rollout.get("phases")).hasSize(1);
        assertThat(rollout.get("phases").get(0).get("size").asText()).isEqualTo("100%");
        assertThat(rollout.get("created_by").asText()).isNotBlank();
        assertThat(fleet).allSatisfy(device -> assertThat(agents.offeredVersion(device)).isEqualTo("v1.1.0"));
        JsonNode offer = api.get(ApiPaths.check(fleet.get(0).uuid()), fleet.get(0).token()).json().get("update");
        assertThat(offer.get("rollback").asBoolean()).isFalse();
        String updateId = published.json().get("update").get("id").asText();
        assertThat(api.get(ApiPaths.update(updateId), ADMIN).json().get("rollout").get("id").asText())
                .isEqualTo(rollout.get("id").asText());
    }

    @Test
    void aRolloutWhoseDevicesAllSucceedAdvancesPhaseByPhaseAfterItsSoakAndFinishes() {
        List<TestDevice> fleet = fleet(20, "Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC");
        JsonNode rollout = publishRollout("v1.1.0", "urgent", Map.of("phases", "1,25%,100%", "soak", "1h",
                "min_finished", "1"));
        String id = rollout.get("id").asText();
        List<String> seen = new ArrayList<>();
        for (int round = 0; round < 10 && !agents.state(id).equals("finished"); round++) {
            seen.add(agents.state(id) + "@" + agents.view(id).get("current_phase").asInt());
            agents.installAllOffered(fleet, "completed");
            reconciler.tick();
            clock.advance(Duration.ofMinutes(61));
            reconciler.tick();
        }
        JsonNode done = agents.view(id);
        assertThat(done.get("state").asText()).isEqualTo("finished");
        assertThat(seen).containsSubsequence("running@0", "running@1", "running@2");
        assertThat(done.get("phases").get(0).get("planned_devices").asLong()).isEqualTo(1);
        assertThat(done.get("phases").get(1).get("planned_devices").asLong()).isEqualTo(4);
        assertThat(done.get("phases").get(2).get("planned_devices").asLong()).isEqualTo(15);
        assertThat(done.get("phases").get(2).get("status_counts").get("completed").asLong()).isEqualTo(15);
        assertThat(fleet).allSatisfy(device -> assertThat(agents.versionOf(device)).isEqualTo("v1.1.0"));
    }

    @Test
    void theSoakHoldsAPhaseThatSucceededUntilItEnds() {
        List<TestDevice> fleet = fleet(4, "UTC");
        String id = publishRollout("v1.1.0", "urgent", Map.of("phases", "1,100%", "soak", "2h")).get("id").asText();
        agents.installAllOffered(fleet, "completed");
        reconciler.tick();
        JsonNode held = agents.view(id);
        assertThat(held.get("current_phase").asInt()).isZero();
        assertThat(held.get("next").asText()).contains("soak");
        assertThat(Instant.parse(held.get("next_at").asText())).isEqualTo(NOON_UTC.plus(Duration.ofHours(2)));
        clock.advance(Duration.ofHours(2));
        reconciler.tick();
        assertThat(agents.view(id).get("current_phase").asInt()).isEqualTo(1);
    }

    @Test
    void aFailingCanaryPausesTheRolloutWithItsReasonAndNothingNewStarts() {
        List<TestDevice> fleet = fleet(10, "Europe/Berlin", "America/New_York");
        String id = publishRollout("v1.1.0", "urgent", Map.of("phases", "1,100%")).get("id").asText();
        List<TestDevice> canary = agents.offered(fleet);
        assertThat(canary).hasSize(1);
        agents.install(canary.get(0), "failed");
        RolloutReconciler.Tick tick = reconciler.tick();
        assertThat(tick.paused()).isEqualTo(1);
        JsonNode paused = agents.view(id);
        assertThat(paused.get("state").asText()).isEqualTo("paused");
        assertThat(paused.get("paused_reason").asText()).contains("failure rule").contains("1 failed");
        assertThat(paused.get("next").asText()).contains("resume");
        clock.advance(Duration.ofDays(2));
        reconciler.tick();
        assertThat(agents.offered(fleet)).isEmpty();
        assertThat(agents.state(id)).isEqualTo("paused");
    }

    @Test
    void devicesThatStartedAndFellSilentPauseTheRollout() {
        List<TestDevice> fleet = fleet(6, "UTC");
        String id = publishRollout("v1.1.0", "urgent", Map.of("phases", "100%", "install_timeout", "1h",
                "min_sample", "2", "failure_threshold", "30%")).get("id").asText();
        agents.report(fleet.get(0), "downloading", null);
        agents.report(fleet.get(1), "downloading", null);
        agents.install(fleet.get(2), "completed");
        reconciler.tick();
        assertThat(agents.state(id)).isEqualTo("running");
        clock.advance(Duration.ofMinutes(61));
        reconciler.tick();
        JsonNode paused = agents.view(id);
        assertThat(paused.get("state").asText()).isEqualTo("paused");
        assertThat(paused.get("paused_reason").asText()).contains("2 silent");
        // devices already installing are not withdrawn: they finish and report
        agents.report(fleet.get(0), "installing", null);
        agents.report(fleet.get(0), "completed", null);
        assertThat(agents.versionOf(fleet.get(0))).isEqualTo("v1.1.0");
        assertThat(agents.offeredVersion(fleet.get(3))).isNull();
    }

    @Test
    void devicesOnlineThatDoNotStartWithinADayOfTheirWindowCountAsSilent() {
        List<TestDevice> fleet = fleet(3, "UTC");
        String id = publishRollout("v1.1.0", "urgent", Map.of("min_sample", "3")).get("id").asText();
        clock.advance(Duration.ofHours(23));
        reconciler.tick();
        assertThat(agents.state(id)).isEqualTo("running");
        clock.advance(Duration.ofHours(2));
        for (TestDevice device : fleet) {
            agents.heartbeat(device);
        }
        reconciler.tick();
        assertThat(agents.view(id).get("paused_reason").asText()).contains("3 silent");
    }

    @Test
    void aTickCountsAPhaseAgainOnlyWhenItsDevicesChangedAndSeesADeviceThatWentOffline() {
        List<TestDevice> fleet = fleet(3, "UTC");
        String id = publishRollout("v1.1.0", "urgent", Map.of("phases", "100%", "success_threshold", "95%",
                "min_finished", "1")).get("id").asText();
        agents.install(fleet.get(0), "completed");
        agents.install(fleet.get(1), "completed");
        reconciler.tick();
        assertThat(agents.state(id)).isEqualTo("running");
        Instant counted = countedAt(id);
        clock.advance(Duration.ofMinutes(1));
        reconciler.tick();
        assertThat(countedAt(id)).as("nothing changed: the kept counts are judged").isEqualTo(counted);

        // the third device goes silent and the sweep marks it offline: a write to devices only
        clock.advance(Duration.ofMinutes(16));
        agents.heartbeat(fleet.get(0));
        agents.heartbeat(fleet.get(1));
        assertThat(offlineSweep.tick()).isEqualTo(1);
        reconciler.tick();
        JsonNode done = agents.view(id);
        assertThat(done.get("state").asText()).as(done.get("next").asText()).isEqualTo("finished");
    }

    private Instant countedAt(String rolloutId) {
        return jdbc.queryForObject("select counted_at from rollout_tallies where rollout_id = ?::uuid",
                java.sql.Timestamp.class, rolloutId).toInstant();
    }

    @Test
    void approvalHoldsEverythingUntilASecondAdminApproves() {
        List<TestDevice> fleet = fleet(3, "UTC");
        HttpApi.Response published = publishWith("v1.1.0", "urgent", Map.of("require_approval", "true"));
        assertThat(published.json().get("scheduled_devices").asInt()).isZero();
        String id = published.json().get("rollout").get("id").asText();
        assertThat(agents.state(id)).isEqualTo("awaiting_approval");
        reconciler.tick();
        assertThat(agents.offered(fleet)).isEmpty();
        assertProblem(api.post(ApiPaths.rolloutAction(id, "approve"), ADMIN, Map.of()), 403, "another admin");
        assertThat(agents.state(id)).isEqualTo("awaiting_approval");
        assertProblem(api.post(ApiPaths.rolloutAction(id, "approve"), fleet.get(0).token(), Map.of()), 403, "");
        HttpApi.Response approved = api.post(ApiPaths.rolloutAction(id, "approve"), SECOND_ADMIN, Map.of());
        assertThat(approved.status()).as(approved.toString()).isEqualTo(200);
        assertThat(approved.json().get("state").asText()).isEqualTo("running");
        assertThat(approved.json().get("approved_by").asText()).isNotEqualTo(approved.json().get("created_by")
                .asText());
        assertThat(agents.offered(fleet)).hasSize(3);
        assertProblem(api.post(ApiPaths.rolloutAction(id, "approve"), SECOND_ADMIN, Map.of()), 409, "running");
    }

    @Test
    void aRolloutStartsAtItsStartTime() {
        List<TestDevice> fleet = fleet(2, "UTC");
        String id = publishRollout("v1.1.0", "urgent", Map.of("start_at", NOON_UTC.plusSeconds(3600).toString()))
                .get("id").asText();
        assertThat(agents.state(id)).isEqualTo("scheduled");
        assertThat(agents.view(id).get("next_at").asText()).isEqualTo(NOON_UTC.plusSeconds(3600).toString());
        reconciler.tick();
        assertThat(agents.offered(fleet)).isEmpty();
        clock.advance(Duration.ofHours(1));
        assertThat(reconciler.tick().started()).isEqualTo(1);
        assertThat(agents.offered(fleet)).hasSize(2);
    }

    @Test
    void cancellingMidPhaseWithdrawsThePendingDevicesAndLetsStartedOnesFinish() {
        List<TestDevice> fleet = fleet(5, "UTC");
        String id = publishRollout("v1.1.0", "urgent", Map.of()).get("id").asText();
        agents.report(fleet.get(0), "downloading", null);
        HttpApi.Response cancelled = api.post(ApiPaths.rolloutAction(id, "cancel"), ADMIN,
                Map.of("reason", "wrong build"));
        assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
        assertThat(cancelled.json().get("state").asText()).isEqualTo("cancelled");
        assertThat(agents.offered(fleet)).extracting(TestDevice::uuid).containsExactly(fleet.get(0).uuid());
        agents.report(fleet.get(0), "installing", null);
        agents.report(fleet.get(0), "completed", null);
        assertThat(agents.versionOf(fleet.get(0))).isEqualTo("v1.1.0");
        assertProblem(api.post(ApiPaths.rolloutAction(id, "resume"), ADMIN, Map.of()), 409, "cancelled");
        // a device registering later is not offered a cancelled rollout's update
        TestDevice late = register("UTC");
        assertThat(agents.offeredVersion(late)).isNull();
    }

    @Test
    void pauseAndResumeWithdrawAndOfferAgainAndTheFailureRuleJudgesOnlyWhatCameAfter() {
        List<TestDevice> fleet = fleet(6, "UTC");
        String id = publishRollout("v1.1.0", "urgent", Map.of("min_sample", "1")).get("id").asText();
        agents.install(fleet.get(0), "failed");
        reconciler.tick();
        assertThat(agents.state(id)).isEqualTo("paused");
        assertThat(agents.offered(fleet)).isEmpty();
        clock.advance(Duration.ofMinutes(10));
        HttpApi.Response resumed = api.post(ApiPaths.rolloutAction(id, "resume"), ADMIN, Map.of());
        assertThat(resumed.status()).as(resumed.toString()).isEqualTo(200);
        assertThat(agents.offered(fleet)).hasSize(5);
        reconciler.tick();
        assertThat(agents.state(id)).isEqualTo("running");
        HttpApi.Response retried = api.post(ApiPaths.rolloutAction(id, "retry-failed"), ADMIN, Map.of());
        assertThat(retried.status()).as(retried.toString()).isEqualTo(200);
        assertThat(agents.offered(fleet)).hasSize(6);
        agents.installAllOffered(fleet, "completed");
        reconciler.tick();
        assertThat(agents.state(id)).isEqualTo("finished");
    }

    @Test
    void anOperatorsRollbackOffersTheEarlierVersionToTheDevicesOnTheBadOne() {
        List<TestDevice> fleet = fleet(3, "UTC");
        published("v1.0.0", "urgent");
        String id = publishRollout("v1.1.0", "urgent", Map.of()).get("id").asText();
        agents.install(fleet.get(0), "completed");
        agents.install(fleet.get(1), "completed");
        agents.report(fleet.get(2), "downloading", null);
        HttpApi.Response rolledBack = api.post(ApiPaths.rolloutAction(id, "rollback"), ADMIN,
                Map.of("reason", "wake word broken"));
        assertThat(rolledBack.status()).as(rolledBack.toString()).isEqualTo(201);
        JsonNode rollback = rolledBack.json();
        assertThat(rollback.get("kind").asText()).isEqualTo("rollback");
        assertThat(rollback.get("version").asText()).isEqualTo("v1.0.0");
        assertThat(rollback.get("rollback_of").asText()).isEqualTo(id);
        assertThat(agents.view(id).get("state").asText()).isEqualTo("cancelled");
        assertThat(agents.view(id).get("rolled_back_by").asText()).isEqualTo(rollback.get("id").asText());
        assertThat(agents.offeredVersion(fleet.get(0))).isEqualTo("v1.0.0");
        assertThat(agents.offeredVersion(fleet.get(1))).isEqualTo("v1.0.0");
        JsonNode offer = api.get(ApiPaths.check(fleet.get(0).uuid()), fleet.get(0).token()).json().get("update");
        assertThat(offer.get("rollback").asBoolean()).isTrue();
        // the device that was installing finishes the bad version, reports it, and is then rolled back too
        agents.report(fleet.get(2), "installing", null);
        agents.report(fleet.get(2), "completed", null);
        assertThat(agents.offeredVersion(fleet.get(2))).isEqualTo("v1.0.0");
        agents.installAllOffered(fleet, "completed");
        assertThat(fleet).allSatisfy(device -> assertThat(agents.versionOf(device)).isEqualTo("v1.0.0"));
        // back on v1.0.0, no device is offered the rolled-back v1.1.0 again
        assertThat(agents.offered(fleet)).isEmpty();
        assertProblem(api.post(ApiPaths.rolloutAction(id, "rollback"), ADMIN, Map.of()), 409, "already rolled back");
    }

    @Test
    void aRollbackWithNothingBelowOrToAVersionNotBelowIsRefused() {
        fleet(1, "UTC");
        String id = publishRollout("v1.1.0", "urgent", Map.of()).get("id").asText();
        assertProblem(api.post(ApiPaths.rolloutAction(id, "rollback"), ADMIN, Map.of()), 409,
                "no published version below");
        assertProblem(api.post(ApiPaths.rolloutAction(id, "rollback"), ADMIN, Map.of("to_version", "v1.2.0")), 400,
                "not below");
        assertProblem(api.post(ApiPaths.rolloutAction(id, "rollback"), ADMIN, Map.of("to_version", "v0.9.0")), 400,
                "never published");
        assertThat(agents.state(id)).isEqualTo("running");
    }

    @Test
    void theFailureRuleRollsTheDevicesBackWhenThePolicySaysSo() {
        List<TestDevice> fleet = fleet(6, "UTC");
        published("v1.0.0", "urgent");
        String id = publishRollout("v1.1.0", "urgent", Map.of("phases", "2,100%", "auto_rollback", "true",
                "min_sample", "2", "failure_threshold", "50%")).get("id").asText();
        List<TestDevice> canary = agents.offered(fleet);
        assertThat(canary).hasSize(2);
        agents.install(canary.get(0), "completed");
        agents.install(canary.get(1), "failed");
        reconciler.tick();
        JsonNode bad = agents.view(id);
        assertThat(bad.get("state").asText()).isEqualTo("cancelled");
        assertThat(bad.get("rolled_back_by").isNull()).isFalse();
        JsonNode rollback = agents.view(bad.get("rolled_back_by").asText());
        assertThat(rollback.get("created_by").asText()).isEqualTo("system");
        assertThat(agents.offeredVersion(canary.get(0))).isEqualTo("v1.0.0");
        assertThat(agents.offeredVersion(canary.get(1))).isNull();
    }

    @Test
    void devicesThatRegisterLaterJoinTheOpenPhase() {
        List<TestDevice> fleet = fleet(4, "UTC");
        String id = publishRollout("v1.1.0", "urgent", Map.of("phases", "1,100%", "soak", "1h")).get("id").asText();
        TestDevice late = register("Europe/Paris");
        assertThat(agents.offeredVersion(late)).isEqualTo("v1.1.0");
        assertThat(agents.view(id).get("phases").get(0).get("devices").asLong()).isEqualTo(2);
        agents.installAllOffered(fleet, "completed");
        agents.install(late, "completed");
        clock.advance(Duration.ofHours(1));
        reconciler.tick();
        agents.installAllOffered(fleet, "completed");
        clock.advance(Duration.ofHours(1));
        reconciler.tick();
        assertThat(agents.state(id)).isEqualTo("finished");
        TestDevice afterwards = register("UTC");
        assertThat(agents.offeredVersion(afterwards)).isEqualTo("v1.1.0");
    }

    @Test
    void theConcurrencyCapHoldsAsDevicesFinish() {
        List<TestDevice> fleet = fleet(7, "UTC");
        String id = publishRollout("v1.1.0", "urgent", Map.of("max_concurrent", "3")).get("id").asText();
        for (int round = 0; round < 5; round++) {
            List<TestDevice> open = agents.offered(fleet);
            assertThat(open.size()).isLessThanOrEqualTo(3);
            if (open.isEmpty()) {
                break;
            }
            agents.install(open.get(0), "completed");
            reconciler.tick();
            assertThat(agents.offered(fleet).size()).isLessThanOrEqualTo(3);
        }
        while (!agents.offered(fleet).isEmpty()) {
            agents.installAllOffered(fleet, "completed");
            reconciler.tick();
        }
        assertThat(fleet).allSatisfy(device -> assertThat(agents.versionOf(device)).isEqualTo("v1.1.0"));
        assertThat(agents.state(id)).isEqualTo("finished");
    }

    @Test
    void aScheduledRolloutsPhaseWaitsForItsDevicesNightsToPass() {
        // noon UTC: the canary in Tokyo is due at its next 02:00 (17:00 UTC); its window ends at 05:00 local
        List<TestDevice> fleet = fleet(2, "Asia/Tokyo");
        String id = publishRollout("v1.1.0", "scheduled", Map.of("phases", "1,100%", "min_finished", "1"))
                .get("id").asText();
        List<TestDevice> canary = agents.offered(fleet);
        assertThat(canary).hasSize(1);
        agents.install(canary.get(0), "completed");
        TestDevice other = fleet.get(0) == canary.get(0) ? fleet.get(1) : fleet.get(0);
        assertThat(agents.offeredVersion(other)).isNull();
        reconciler.tick();
        JsonNode waiting = agents.view(id);
        assertThat(waiting.get("current_phase").asInt()).isZero();
        assertThat(waiting.get("next").asText()).contains("install windows");
        assertThat(waiting.get("next_at").asText()).isEqualTo("2026-06-15T20:00:00Z");
        clock.set(Instant.parse("2026-06-15T20:00:00Z"));
        reconciler.tick();
        assertThat(agents.view(id).get("current_phase").asInt()).isEqualTo(1);
        assertThat(agents.offeredVersion(other)).isEqualTo("v1.1.0");
    }

    @Test
    void phasesAreSpreadAcrossTimezones() {
        List<String> zones = List.of("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney");
        fleet(40, zones.toArray(String[]::new));
        String id = publishRollout("v1.1.0", "urgent", Map.of("phases", "4,100%")).get("id").asText();
        List<String> canaryZones = jdbc.queryForList("""
                select d.timezone from rollout_devices rd join devices d on d.id = rd.device_id
                where rd.rollout_id = ?::uuid and rd.phase = 0
                """, String.class, id);
        assertThat(canaryZones).containsExactlyInAnyOrderElementsOf(zones);
        // deterministic: the same rollout id and devices give the same phases
        assertThat(jdbc.queryForObject("select count(*) from rollout_devices where rollout_id = ?::uuid and phase = 1",
                Long.class, id)).isEqualTo(36);
    }

    /**
     * The issue's "done when", from curl's side: a phased rollout that needs approval, its canary failing, the pause,
     * the operator's approval, resume, cancel and rollback; every step in the audit log, and the webhook told of
     * each that a person wants to hear of, with the reason, as a sentence.
     */
    @Test
    void everyStepIsInTheAuditLogAndTheWebhookHearsOfTheOnesThatMatter() {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            HttpApi.Response subscribed = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", receiver.url(),
                    "events", List.of("*")));
            assertThat(subscribed.status()).as(subscribed.toString()).isEqualTo(201);
            List<TestDevice> fleet = fleet(6, "UTC", "Asia/Tokyo");
            published("v1.0.0", "urgent");
            String id = publishRollout("v1.1.0", "urgent", Map.of("phases", "1,100%", "require_approval", "true"))
                    .get("id").asText();
            assertThat(api.post(ApiPaths.rolloutAction(id, "approve"), SECOND_ADMIN, Map.of()).status())
                    .isEqualTo(200);
            agents.install(agents.offered(fleet).get(0), "failed");
            reconciler.tick();
            assertThat(agents.state(id)).isEqualTo("paused");
            clock.advance(Duration.ofMinutes(5));
            assertThat(api.post(ApiPaths.rolloutAction(id, "resume"), ADMIN, Map.of()).status()).isEqualTo(200);
            assertThat(api.post(ApiPaths.rolloutAction(id, "advance"), ADMIN, Map.of()).status()).isEqualTo(200);
            assertThat(api.post(ApiPaths.rolloutAction(id, "rollback"), ADMIN, Map.of("reason", "bad canary"))
                    .status()).isEqualTo(201);
            webhookDelivery.tick();

            List<String> events = receiver.received().stream().map(received -> received.header("X-Javia-Event"))
                    .toList();
            assertThat(events).contains("rollout.approval_requested", "device.update_failed", "rollout.paused",
                    "rollout.phase_advanced", "rollout.cancelled");
            String pausedBody = receiver.received().stream()
                    .filter(received -> received.header("X-Javia-Event").equals("rollout.paused")).findFirst()
                    .orElseThrow().body();
            assertThat(pausedBody).contains("Rollout of v1.1.0 paused in phase 1: the failure rule tripped");

            JsonNode audit = api.get(ApiPaths.AUDIT + "?target_id=" + id + "&size=50", ADMIN).json().get("entries");
            List<String> actions = new ArrayList<>();
            audit.forEach(entry -> actions.add(entry.get("action").asText() + "=" + entry.get("actor").asText()));
            assertThat(actions).containsExactly("rollout.rolled_back=admin", "rollout.cancelled=admin",
                    "rollout.phase_advanced=admin", "rollout.resumed=admin", "rollout.paused=system",
                    "rollout.approved=admin-2");
            assertThat(audit.get(4).get("details").get("reason").asText()).contains("failure rule");
        }
    }

    /**
     * A tick is one transaction: cut at any of its writes (the counts it keeps, the next phase's offers, the
     * webhook's outbox, the audit entry), it leaves the rollout as it was (and the changes it read still queued), and
     * the next tick does the whole step. The cut is a real failure of PostgreSQL (a trigger that raises), not a mock.
     */
    @ParameterizedTest(name = "cut at the insert into {0}")
    @ValueSource(strings = {"rollout_tallies", "device_updates", "webhook_deliveries", "audit_log"})
    void aTickCutAtAnyOfItsWritesLeavesTheRolloutAsItWasAndTheNextTickDoesItAll(String table) {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", receiver.url(), "events", List.of("*")));
            List<TestDevice> fleet = fleet(5, "UTC");
            String id = publishRollout("v1.1.0", "urgent", Map.of("phases", "1,100%", "min_finished", "1"))
                    .get("id").asText();
            agents.installAllOffered(fleet, "completed");
            long auditBefore = jdbc.queryForObject("select count(*) from audit_log", Long.class);
            long outboxBefore = jdbc.queryForObject("select count(*) from webhook_deliveries", Long.class);
            jdbc.execute("create function ota_test_cut() returns trigger language plpgsql as $$"
                    + " begin raise exception 'power cut'; end $$");
            jdbc.execute("create trigger ota_test_cut before insert on " + table
                    + " for each statement execute function ota_test_cut()");
            try {
                assertThatThrownBy(reconciler::tick).hasMessageContaining("power cut");
            } finally {
                jdbc.execute("drop trigger ota_test_cut on " + table);
                jdbc.execute("drop function ota_test_cut()");
            }
            JsonNode unchanged = agents.view(id);
            assertThat(unchanged.get("current_phase").asInt()).isZero();
            assertThat(unchanged.get("phases").get(1).get("status_counts").get("queued").asLong()).isEqualTo(4);
            assertThat(agents.offered(fleet)).isEmpty();
            assertThat(jdbc.queryForObject("select count(*) from audit_log", Long.class)).isEqualTo(auditBefore);
            assertThat(jdbc.queryForObject("select count(*) from webhook_deliveries", Long.class))
                    .isEqualTo(outboxBefore);

            assertThat(reconciler.tick().advanced()).isEqualTo(1);
            assertThat(agents.view(id).get("current_phase").asInt()).isEqualTo(1);
            assertThat(agents.offered(fleet)).hasSize(4);
            assertThat(jdbc.queryForObject("select count(*) from audit_log where action = 'rollout.phase_advanced'"
                    + " and target_id = ?", Long.class, id)).isEqualTo(1);
        }
    }

    @Test
    void whileAnotherInstanceHoldsTheLockATickDoesNothing() throws Exception {
        fleet(2, "UTC");
        String id = publishRollout("v1.1.0", "urgent", Map.of("min_sample", "1")).get("id").asText();
        TestDevice failing = agents.offered(fleetOf(id)).get(0);
        agents.install(failing, "failed");
        try (Connection other = Objects.requireNonNull(jdbc.getDataSource()).getConnection();
                Statement statement = other.createStatement()) {
            statement.execute("select pg_advisory_lock(" + lockKey() + ")");
            assertThat(reconciler.tick().ran()).isFalse();
            assertThat(agents.state(id)).isEqualTo("running");
            statement.execute("select pg_advisory_unlock(" + lockKey() + ")");
        }
        assertThat(reconciler.tick().ran()).isTrue();
        assertThat(agents.state(id)).isEqualTo("paused");
    }

    @Test
    void actionsThatCannotBeAreRefusedWithWhatToDo() {
        fleet(1, "UTC");
        String id = publishRollout("v1.1.0", "urgent", Map.of()).get("id").asText();
        assertProblem(api.post(ApiPaths.rolloutAction(id, "resume"), ADMIN, Map.of()), 409, "running");
        assertProblem(api.post(ApiPaths.rolloutAction(id, "approve"), ADMIN, Map.of()), 409, "running");
        assertProblem(api.post(ApiPaths.rolloutAction(id, "retry-failed"), ADMIN, Map.of()), 409, "nothing to retry");
        assertProblem(api.post(ApiPaths.rolloutAction("0190a0a0-0000-7000-8000-000000000000", "pause"), ADMIN,
                Map.of()), 404, "no rollout");
        assertProblem(api.post(ApiPaths.rolloutAction("not-a-uuid", "pause"), ADMIN, Map.of()), 400, "");
        assertProblem(api.raw("POST", ApiPaths.rolloutAction(id, "pause"), ADMIN, "application/json", "{\"reason\":"),
                400, "");
        assertThat(agents.state(id)).isEqualTo("running");
    }

    @Test
    void badRolloutOptionsAreRefusedAndNothingIsPublished() {
        fleet(1, "UTC");
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("phases", "10%,5%,100%");
        bad.put("soak", "forever");
        bad.put("success_threshold", "120%");
        bad.put("failure_threshold", "0");
        bad.put("max_concurrent", "-1");
        bad.put("start_at", "tomorrow");
        bad.put("auto_rollback", "maybe");
        bad.put("target_status", "asleep");
        bad.put("target_timezone", "Mars/Olympus");
        bad.put("target_metadata", "=x");
        for (Map.Entry<String, String> field : bad.entrySet()) {
            HttpApi.Response refused = publishWith("v1.1.0", "urgent", Map.of(field.getKey(), field.getValue()));
            assertProblem(refused, 400, field.getKey());
        }
        assertProblem(publishWith("v1.1.0", "urgent", Map.of("phases", "1,50%")), 400, "end at 100%");
        assertThat(jdbc.queryForObject("select count(*) from updates", Long.class)).isZero();
        assertThat(jdbc.queryForObject("select count(*) from rollouts", Long.class)).isZero();
    }

    @Test
    void aTargetFilterReachesOnlyTheMatchingDevicesAndThoseThatJoinLater() {
        TestDevice berlin = register("Europe/Berlin");
        TestDevice tokyo = register("Asia/Tokyo");
        String id = publishRollout("v1.1.0", "urgent", Map.of("target_timezone", "Asia/Tokyo")).get("id").asText();
        assertThat(agents.offeredVersion(tokyo)).isEqualTo("v1.1.0");
        assertThat(agents.offeredVersion(berlin)).isNull();
        assertThat(agents.view(id).get("target").get("timezone").asText()).isEqualTo("Asia/Tokyo");
        assertThat(agents.offeredVersion(register("Asia/Tokyo"))).isEqualTo("v1.1.0");
        assertThat(agents.offeredVersion(register("Europe/Berlin"))).isNull();
    }

    @Test
    void theListShowsRolloutsNewestFirstAndFilters() {
        fleet(1, "UTC");
        publishRollout("v1.1.0", "urgent", Map.of());
        publishRollout("v1.2.0", "urgent", Map.of("require_approval", "true"));
        JsonNode page = api.get(ApiPaths.ROLLOUTS, ADMIN).json();
        assertThat(page.get("rollouts")).hasSize(2);
        assertThat(page.get("rollouts").get(0).get("version").asText()).isEqualTo("v1.2.0");
        assertThat(api.get(ApiPaths.ROLLOUTS + "?state=awaiting_approval", ADMIN).json().get("total_elements")
                .asLong()).isEqualTo(1);
        assertThat(api.get(ApiPaths.ROLLOUTS + "?version=v1.1.0", ADMIN).json().get("rollouts").get(0)
                .get("version").asText()).isEqualTo("v1.1.0");
        assertProblem(api.get(ApiPaths.ROLLOUTS + "?state=sleeping", ADMIN), 400, "state must be one of");
        assertThat(api.get(ApiPaths.ROLLOUTS, ENROLLMENT).status()).isEqualTo(403);
    }

    // ---- the simulated fleet

    private List<TestDevice> fleet(int size, String... zones) {
        List<TestDevice> fleet = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            fleet.add(register(zones[i % zones.length]));
        }
        return fleet;
    }

    private List<TestDevice> fleetOf(String rolloutId) {
        return jdbc.query("""
                select d.device_uuid from rollout_devices rd join devices d on d.id = rd.device_id
                where rd.rollout_id = ?::uuid
                """, (rs, row) -> rs.getString(1), rolloutId).stream()
                .map(uuid -> new TestDevice(uuid, tokenOf(uuid))).toList();
    }

    private final Map<String, String> tokens = new LinkedHashMap<>();

    @Override
    TestDevice register(String timezone) {
        TestDevice device = super.register(timezone);
        tokens.put(device.uuid(), device.token());
        return device;
    }

    private String tokenOf(String uuid) {
        return tokens.get(uuid);
    }

    private HttpApi.Response publishWith(String version, String type, Map<String, String> options) {
        Map<String, Object> form = form(version, type, null, null);
        form.putAll(options);
        form.put("package", samplePackage(version, UpdateType.parse(type), null));
        return api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
    }

    private JsonNode publishRollout(String version, String type, Map<String, String> options) {
        HttpApi.Response published = publishWith(version, type, options);
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        return published.json().get("rollout");
    }

    private static long lockKey() throws Exception {
        var field = RolloutReconciler.class.getDeclaredField("LOCK");
        field.setAccessible(true);
        return field.getLong(null);
    }
}
