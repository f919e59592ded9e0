package dev.javia.ota.protocol.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every example body under docs/api/examples reads into its record with no field left over, and writes back to
 * the same JSON: the records (which the agent and the packager use) and the documented contract cannot drift.
 */
class ApiExamplesTests {

    private static final JsonMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    @ParameterizedTest(name = "{0} is a {1}")
    @CsvSource({
            "register.request.json, RegisterDevice",
            "register.response.json, DeviceRegistration",
            "register-proved.request.json, RegisterDevice",
            "challenge.request.json, ChallengeRequest",
            "challenge.response.json, DeviceChallenge",
            "device-reset-key.request.json, DeviceKeyReset",
            "heartbeat.request.json, Heartbeat",
            "heartbeat-older-agent.request.json, Heartbeat",
            "heartbeat-updating.request.json, Heartbeat",
            "heartbeat.response.json, HeartbeatReply",
            "check.response.json, UpdateCheck",
            "check-nothing-due.response.json, UpdateCheck",
            "check-rollback.response.json, UpdateCheck",
            "check-signed-rollback.response.json, UpdateCheck",
            "device-wait.response.json, DeviceWake",
            "device-wait-nothing.response.json, DeviceWake",
            "device-status.request.json, DeviceStatusChange",
            "status.request.json, StatusReport",
            "status-older-agent.request.json, StatusReport",
            "status-completed-delta.request.json, StatusReport",
            "status.response.json, DeviceUpdateView",
            "create.response.json, UpdateCreated",
            "devices.response.json, DevicePage",
            "device.response.json, DeviceView",
            "device-change.request.json, DeviceChange",
            "updates.response.json, UpdatePage",
            "update-devices.response.json, UpdateDevicesPage",
            "audit.response.json, AuditPage",
            "rollout.response.json, RolloutView",
            "rollouts.response.json, RolloutPage",
            "rollout-action.request.json, RolloutAction",
            "rollout-create.request.json, RolloutCreate",
            "webhook-create.request.json, WebhookCreate",
            "webhook-created.response.json, WebhookCreated",
            "webhooks.response.json, WebhookPage",
            "webhook.response.json, WebhookView",
            "webhook-change.request.json, WebhookChange",
            "webhook-deliveries.response.json, WebhookDeliveryPage",
            "webhook-event.json, WebhookEvent",
    })
    void exampleReadsIntoItsRecordAndBack(String file, String type) throws Exception {
        String json = Files.readString(ApiExamples.file(file));
        Class<?> recordType = type.endsWith("[]")
                ? Class.forName(getClass().getPackageName() + "." + type.replace("[]", "")).arrayType()
                : Class.forName(getClass().getPackageName() + "." + type);

        Object value = STRICT.readValue(json, recordType);
        JsonNode written = STRICT.readTree(STRICT.writeValueAsString(value));

        assertThat(written).isEqualTo(STRICT.readTree(json));
    }

    /** An agent from before run_id and seq: its bodies read with no order, and are written back without one. */
    @Test
    void anOlderAgentsBodiesHaveNoOrder() throws Exception {
        Heartbeat heartbeat = STRICT.readValue(Files.readString(ApiExamples.file("heartbeat-older-agent.request.json")),
                Heartbeat.class);
        StatusReport report = STRICT.readValue(Files.readString(ApiExamples.file("status-older-agent.request.json")),
                StatusReport.class);

        assertThat(heartbeat.runId()).isNull();
        assertThat(heartbeat.seq()).isNull();
        assertThat(report.seq()).isNull();
        assertThat(STRICT.writeValueAsString(new Heartbeat("v1.2.2", DeviceStatus.ONLINE, null)))
                .doesNotContain("run_id").doesNotContain("seq");
        assertThat(STRICT.readValue(Files.readString(ApiExamples.file("heartbeat.request.json")), Heartbeat.class)
                .seq()).isEqualTo(41L);
    }

    /**
     * The fields added for the install window and the step: an older agent's heartbeat has none of them and writes
     * none back; a check from an older server has no window's end; settings written with nothing set are {@code {}},
     * which is what tells the server "no setting" (a heartbeat without settings says nothing about them).
     */
    @Test
    void theWindowAndStepFieldsAreAdditions() throws Exception {
        Heartbeat older = STRICT.readValue(Files.readString(ApiExamples.file("heartbeat-older-agent.request.json")),
                Heartbeat.class);
        UpdateCheck olderServer = STRICT.readValue(
                Files.readString(ApiExamples.file("older/check.response.json")), UpdateCheck.class);
        Heartbeat updating = STRICT.readValue(Files.readString(ApiExamples.file("heartbeat-updating.request.json")),
                Heartbeat.class);

        assertThat(older.step()).isNull();
        assertThat(older.settings()).isNull();
        assertThat(STRICT.writeValueAsString(older)).doesNotContain("step").doesNotContain("progress")
                .doesNotContain("settings");
        assertThat(olderServer.windowEndsAt()).isNull();
        assertThat(olderServer.scheduledFor()).isNotNull();
        assertThat(updating.step()).isEqualTo("downloading");
        assertThat(updating.progressPercent()).isEqualTo(37);
        assertThat(updating.settings().updateHour()).isEqualTo(3);
        assertThat(STRICT.writeValueAsString(older.withSettings(new AgentSettings(null))))
                .contains("\"settings\":{}");
    }

    /**
     * {@code update.rollback} is an addition: a check from an older server has none and its offer is a plain update;
     * today's server says false for an update and true for the rollback an operator started.
     */
    @Test
    void theRollbackFlagIsAnAddition() throws Exception {
        UpdateCheck olderServer = STRICT.readValue(
                Files.readString(ApiExamples.file("older/check.response.json")), UpdateCheck.class);
        UpdateCheck update = STRICT.readValue(Files.readString(ApiExamples.file("check.response.json")),
                UpdateCheck.class);
        UpdateCheck rollback = STRICT.readValue(Files.readString(ApiExamples.file("check-rollback.response.json")),
                UpdateCheck.class);

        assertThat(olderServer.update().rollback()).isFalse();
        assertThat(update.update().rollback()).isFalse();
        assertThat(rollback.update().rollback()).isTrue();
        assertThat(rollback.update().version()).isEqualTo("v1.2.2");
    }

    /**
     * {@code push_cursor} is an addition: an agent from before it reads today's check (alone and inside the heartbeat's
     * reply) with its own record, which has no such field, as the agent's client reads (unknown fields ignored), and
     * gets the same offer; a check from an older server has none, and today's agent then only polls.
     */
    @Test
    void thePushCursorIsAnAddition() throws Exception {
        JsonMapper olderAgentsReader = JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .build();
        String today = Files.readString(ApiExamples.file("check.response.json"));
        assertThat(STRICT.readValue(today, UpdateCheck.class).pushCursor()).isEqualTo("3f9a1c0e7b2d4a55");

        OlderUpdateCheck olderAgent = olderAgentsReader.readValue(today, OlderUpdateCheck.class);
        OlderHeartbeatReply olderBeat = olderAgentsReader.readValue(
                Files.readString(ApiExamples.file("heartbeat.response.json")), OlderHeartbeatReply.class);
        UpdateCheck olderServer = STRICT.readValue(
                Files.readString(ApiExamples.file("older/check.response.json")), UpdateCheck.class);

        assertThat(olderAgent.updateAvailable()).isTrue();
        assertThat(olderAgent.update().version()).isEqualTo("v1.2.3");
        assertThat(olderAgent.scheduledFor()).isEqualTo(Instant.parse("2026-06-16T09:00:00Z"));
        assertThat(olderAgent.checkIntervalSeconds()).isEqualTo(300);
        assertThat(olderBeat.updateCheck().checkIntervalSeconds()).isEqualTo(300);
        assertThat(olderServer.pushCursor()).isNull();
        assertThat(STRICT.writeValueAsString(olderServer)).contains("\"push_cursor\":null");
    }

    /**
     * The delta (issue 18) is an addition: an agent before deltas reads today's offer with its own record, which has
     * no {@code delta}, and downloads {@code package_url} as always; an offer from an older server has none; a report
     * without {@code downloaded_bytes}/{@code delivery} is written as before, byte for byte, and one with them is
     * read by an older server's record (which ignores them).
     */
    @Test
    void theDeltaAndTheDownloadedBytesAreAdditions() throws Exception {
        JsonMapper olderReader = JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .build();
        String today = Files.readString(ApiExamples.file("check.response.json"));
        UpdateCheck check = STRICT.readValue(today, UpdateCheck.class);
        assertThat(check.update().delta().baseVersion()).isEqualTo("v1.2.2");
        assertThat(check.update().delta().url()).endsWith("/deltas/v1.2.2/download");

        OlderUpdateOffer olderAgent = olderReader.readValue(
                STRICT.writeValueAsString(check.update()), OlderUpdateOffer.class);
        assertThat(olderAgent.packageUrl()).isEqualTo(check.update().packageUrl());
        assertThat(olderAgent.sha256()).isEqualTo(check.update().sha256());
        UpdateCheck olderServer = STRICT.readValue(
                Files.readString(ApiExamples.file("older/check.response.json")), UpdateCheck.class);
        assertThat(olderServer.update().delta()).isNull();
        assertThat(check.update().asRollback(null).delta()).as("a rollback is offered whole").isNull();

        String olderReport = Files.readString(ApiExamples.file("status-older-agent.request.json"));
        StatusReport report = STRICT.readValue(olderReport, StatusReport.class);
        assertThat(report.downloadedBytes()).isNull();
        assertThat(STRICT.readTree(STRICT.writeValueAsString(report))).isEqualTo(STRICT.readTree(olderReport));
        StatusReport withBytes = STRICT.readValue(
                Files.readString(ApiExamples.file("status-completed-delta.request.json")), StatusReport.class);
        assertThat(withBytes.delivery()).isEqualTo(StatusReport.DELTA);
        assertThat(withBytes.ordered(new MessageOrder("r", 3L)).downloadedBytes()).isEqualTo(2231L);
        OlderStatusReport olderServerReads = olderReader.readValue(STRICT.writeValueAsString(withBytes),
                OlderStatusReport.class);
        assertThat(olderServerReads.status()).isEqualTo(UpdateStatus.COMPLETED);
    }

    /** UpdateOffer as agents before deltas have it. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record OlderUpdateOffer(java.util.UUID id, String version, UpdateType updateType, String description,
            String packageUrl, String sha256, long sizeBytes, boolean requiresSystemPackages,
            java.util.List<String> systemPackages, boolean rollback) {
    }

    /** StatusReport as servers before deltas have it. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record OlderStatusReport(String deviceUuid, UpdateStatus status, String errorMessage, String runId, Long seq) {
    }

    /** UpdateCheck as agents before the push cursor have it. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record OlderUpdateCheck(boolean updateAvailable, UpdateOffer update, Instant scheduledFor, UpdateStatus status,
            int checkIntervalSeconds, Instant windowEndsAt) {
    }

    /** HeartbeatReply as agents before the push cursor have it: its check is the older record. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record OlderHeartbeatReply(String deviceUuid, DeviceStatus status, Instant lastSeen, int heartbeatIntervalSeconds,
            OlderUpdateCheck updateCheck) {
    }
}
