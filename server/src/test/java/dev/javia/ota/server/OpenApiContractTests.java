package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiExamples;
import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.testing.ApiDocument;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.TestDatabaseInitializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The API document is the API: real answers of every operation (successes and the usual refusals, with every kind
 * of key) are held against /v3/api-docs: the status is documented for the operation, the Content-Type is one it
 * lists, and the body is valid for the documented schema, strictly (a field the document lacks fails).
 */
class OpenApiContractTests extends ApiTestSupport {

    private static final String SECOND_ADMIN = TestDatabaseInitializer.SECOND_ADMIN_KEY;

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern SNAKE_CASE = Pattern.compile("^[a-z][a-z0-9]*(_[a-z0-9]+)*$");
    private static final String GARBAGE_KEY = "not-a-key-this-server-knows-0000";

    private ApiDocument document;
    private final List<String> violations = new ArrayList<>();
    private final Set<String> answered = new TreeSet<>();

    @BeforeEach
    void loadTheDocument() {
        document = ApiDocument.of(api);
    }

    @Test
    void theDocumentNamesWhatTheWireCarries() {
        JsonNode schemas = document.json().path("components").path("schemas");
        List<String> names = new ArrayList<>();
        schemas.properties().forEach(schema -> schema.getValue().path("properties").propertyNames()
                .forEach(name -> names.add(schema.getKey() + "." + name)));
        assertThat(names).isNotEmpty().allSatisfy(name -> assertThat(name.substring(name.indexOf('.') + 1))
                .as(name).matches(SNAKE_CASE));

        for (ApiDocument.Operation operation : document.operations()) {
            assertThat(operation.parameters()).as(operation + " parameters")
                    .noneMatch(parameter -> parameter.path("name").asString().equalsIgnoreCase("caller"));
            assertThat(operation.statuses()).as(operation + " statuses")
                    .contains("400", "401", "403", "406", "500", "503");
            assertThat(operation.statuses()).as(operation + " has a success").anyMatch(code -> code.startsWith("2"));
            assertThat(document.json().path("security").toString()).contains(ApiPaths.API_KEY_HEADER);
        }
        ApiDocument.Operation create = document.operation("POST", ApiPaths.CREATE_UPDATE).orElseThrow();
        assertThat(create.parameters()).as("the form is the body, not the query").isEmpty();
        JsonNode form = create.requestBodies().get("multipart/form-data");
        assertThat(form.path("properties").propertyNames())
                .containsExactlyInAnyOrder("package", "signature", "version", "description", "update_type", "system_packages",
                        "target_devices", "phases", "soak", "require_approval", "success_threshold",
                        "failure_threshold", "min_finished", "min_sample", "install_timeout", "max_concurrent",
                        "start_at", "auto_rollback", "target_version", "target_status", "target_timezone",
                        "target_metadata");
        assertThat(form.path("required").toString()).contains("package", "version", "update_type");
    }

    /** Issue 12: the document says who each operation is for, and what it does; one entry per operation. */
    @Test
    void everyOperationSaysWhoItIsForAndWhatItDoes() {
        Set<String> device = Set.of("registerDevice", "challengeDevice", "sendHeartbeat", "checkForUpdate", "reportUpdateStatus",
                "downloadUpdate", "downloadDelta", "waitForChange");
        List<String> ids = new ArrayList<>();
        document.json().path("paths").properties().forEach(path -> path.getValue().properties().forEach(method -> {
            JsonNode operation = method.getValue();
            String id = operation.path("operationId").asString();
            ids.add(id);
            assertThat(operation.path("summary").asString()).as(id + " summary").isNotBlank();
            assertThat(operation.path("description").asString()).as(id + " description").isNotBlank();
            assertThat(operation.path("tags")).as(id + " tags").extracting(JsonNode::asString)
                    .containsExactly(device.contains(id) ? "device" : "operator");
        }));
        assertThat(ids).as("operation ids").doesNotHaveDuplicates().containsAll(device);
        assertThat(document.json().path("paths").propertyNames()).as("no path twice, with and without its slash")
                .noneMatch(path -> document.json().path("paths").has(path + "/"));
    }

    /**
     * docs/api/examples, the bodies both sides of the API are tested against, are valid for the document too. Its
     * README says which call each example belongs to (or that the server sends it, as the body of a webhook); every
     * example must be in that table.
     */
    @Test
    void everyExampleBodyIsValidForTheDocument() throws IOException {
        Pattern row = Pattern.compile(
                "^\\| (.+?) \\| (?:`(GET|POST|PATCH|PUT|DELETE) ([^`]+)`|any error|(sent by the server))");
        Pattern name = Pattern.compile("`([^`]+)`");
        Set<String> listed = new TreeSet<>();
        for (String line : Files.readAllLines(ApiExamples.file("README.md"))) {
            Matcher call = row.matcher(line);
            if (!call.find()) {
                continue;
            }
            ApiDocument.Operation operation = call.group(2) == null ? null
                    : document.operation(call.group(2), call.group(3)).orElseThrow(() -> new AssertionError(
                            "docs/api/examples/README.md names " + call.group(2) + " " + call.group(3)
                                    + ", which the API document lacks"));
            Matcher names = name.matcher(call.group(1));
            while (names.find()) {
                for (Path example : examples(names.group(1))) {
                    listed.add(example.getFileName().toString());
                    if (call.group(4) != null) {
                        // what the server sends (a webhook's body) is no answer of the API: the protocol's record
                        // and WebhookTests check it against the real delivery
                        continue;
                    }
                    byte[] body = Files.readAllBytes(example);
                    List<String> found = operation == null
                            ? document.problemViolations(JSON.readTree(body).path("status").asInt(),
                                    "application/problem+json", body)
                            : example.toString().endsWith(".request.json") ? document.requestViolations(operation, body)
                            : document.violations(operation.method(), call.group(3), operation.success(),
                                    "application/json", body);
                    found.forEach(violation -> violations.add(example.getFileName() + ": " + violation));
                }
            }
        }
        assertThat(violations).as("examples that differ from the API document").isEmpty();
        try (var files = Files.list(ApiExamples.directory())) {
            assertThat(listed).as("examples in the README's table").containsAll(files
                    .map(file -> file.getFileName().toString()).filter(file -> file.endsWith(".json")).toList());
        }
    }

    private static List<Path> examples(String glob) throws IOException {
        var matcher = java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + glob);
        try (var files = Files.list(ApiExamples.directory())) {
            return files.filter(file -> matcher.matches(file.getFileName())).sorted().toList();
        }
    }

    @Test
    void everyRealAnswerIsWhatTheDocumentSays() {
        String uuid = newDeviceUuid();
        HttpApi.Response registered = check("POST", ApiPaths.REGISTER, api.post(ApiPaths.REGISTER, ENROLLMENT,
                Map.of("device_uuid", uuid, "device_name", "kitchen", "timezone", "Europe/Berlin",
                        "current_version", "v1.0.0", "metadata", Map.of("model", "Raspberry Pi 4"))));
        String token = registered.json().get("device_token").asString();
        TestDevice other = register("UTC");
        String unknown = newDeviceUuid();

        // registration: both keys that may, the refusals of the others and of bad bodies
        check("POST", ApiPaths.REGISTER, api.post(ApiPaths.REGISTER, ADMIN, Map.of("device_uuid", newDeviceUuid(),
                "timezone", "UTC")));
        Map<String, Object> again = Map.of("device_uuid", uuid, "timezone", "UTC");
        check("POST", ApiPaths.REGISTER, api.post(ApiPaths.REGISTER, token, again));
        check("POST", ApiPaths.REGISTER, api.post(ApiPaths.REGISTER, null, again));
        check("POST", ApiPaths.REGISTER, api.post(ApiPaths.REGISTER, GARBAGE_KEY, Map.of("device_uuid", uuid)));
        check("POST", ApiPaths.REGISTER, api.post(ApiPaths.REGISTER, ENROLLMENT, Map.of("device_uuid", uuid)));
        check("POST", ApiPaths.REGISTER, api.post(ApiPaths.REGISTER, ENROLLMENT, Map.of("device_uuid", "nope",
                "timezone", "UTC")));
        check("POST", ApiPaths.REGISTER, api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "application/json", "{\"dev"));
        check("POST", ApiPaths.REGISTER, api.raw("POST", ApiPaths.REGISTER, ENROLLMENT, "text/plain", "hello"));

        // the device's own endpoints
        check("GET", ApiPaths.device(uuid), api.get(ApiPaths.device(uuid), token));
        check("GET", ApiPaths.device(uuid), api.get(ApiPaths.device(uuid), ADMIN));
        check("GET", ApiPaths.device(uuid), api.get(ApiPaths.device(uuid), other.token()));
        check("GET", ApiPaths.device(uuid), api.get(ApiPaths.device(uuid), ENROLLMENT));
        check("GET", ApiPaths.device(unknown), api.get(ApiPaths.device(unknown), ADMIN));
        check("GET", ApiPaths.device("not-a-uuid"), api.get(ApiPaths.device("not-a-uuid"), ADMIN));
        check("POST", ApiPaths.heartbeat(uuid), api.post(ApiPaths.heartbeat(uuid), token,
                Map.of("current_version", "v1.0.0", "status", "online", "metadata", Map.of("uptime_seconds", 60))));
        check("POST", ApiPaths.heartbeat(uuid), api.raw("POST", ApiPaths.heartbeat(uuid), token, "application/json",
                ""));
        check("POST", ApiPaths.heartbeat(uuid), api.post(ApiPaths.heartbeat(uuid), other.token(), Map.of()));
        check("POST", ApiPaths.heartbeat(unknown), api.post(ApiPaths.heartbeat(unknown), ADMIN, Map.of()));
        check("POST", ApiPaths.heartbeat(uuid), api.post(ApiPaths.heartbeat(uuid), token, Map.of("status", "asleep")));
        check("GET", ApiPaths.check(uuid), api.get(ApiPaths.check(uuid), token));
        check("GET", ApiPaths.check(uuid), api.get(ApiPaths.check(uuid), other.token()));
        check("GET", ApiPaths.check(unknown), api.get(ApiPaths.check(unknown), ADMIN));
        check("GET", ApiPaths.check("x"), api.get(ApiPaths.check("x"), ADMIN));
        check("GET", ApiPaths.deviceWait(uuid), api.get(ApiPaths.deviceWait(uuid) + "?cursor=0000000000000000", token));
        check("GET", ApiPaths.deviceWait(uuid), api.get(ApiPaths.deviceWait(uuid) + "?cursor=nope", token));
        check("GET", ApiPaths.deviceWait(uuid), api.get(ApiPaths.deviceWait(uuid) + "?cursor=0000000000000000",
                other.token()));
        check("PATCH", ApiPaths.deviceStatus(uuid), api.patch(ApiPaths.deviceStatus(uuid), token,
                Map.of("status", "online", "current_version", "v1.0.0")));
        check("PATCH", ApiPaths.deviceStatus(uuid), api.patch(ApiPaths.deviceStatus(uuid), other.token(),
                Map.of("status", "online")));
        check("PATCH", ApiPaths.deviceStatus(uuid), api.patch(ApiPaths.deviceStatus(uuid), ADMIN, Map.of()));
        check("PATCH", ApiPaths.deviceStatus(unknown), api.patch(ApiPaths.deviceStatus(unknown), ADMIN,
                Map.of("status", "offline")));

        // the operator's
        check("GET", ApiPaths.DEVICES, api.get(ApiPaths.DEVICES, ADMIN));
        String filtered = ApiPaths.DEVICES + "?status=online&version=v1.0.0&page=0&size=9";
        check("GET", filtered, api.get(filtered, ADMIN));
        check("GET", ApiPaths.DEVICES, api.get(ApiPaths.DEVICES + "?page=-1", ADMIN));
        check("GET", ApiPaths.DEVICES, api.get(ApiPaths.DEVICES + "?status=asleep", ADMIN));
        check("GET", ApiPaths.DEVICES, api.get(ApiPaths.DEVICES + "?q=kitchen&timezone=Europe/Berlin"
                + "&last_seen=within-1d&sort=-last_seen", ADMIN));
        check("GET", ApiPaths.DEVICES, api.get(ApiPaths.DEVICES + "?sort=shoe-size", ADMIN));
        check("GET", ApiPaths.DEVICES, api.get(ApiPaths.DEVICES + "?last_seen=yesterday", ADMIN));
        check("GET", ApiPaths.DEVICES, api.get(ApiPaths.DEVICES, token));
        check("GET", ApiPaths.DEVICES, api.get(ApiPaths.DEVICES, ENROLLMENT));
        check("GET", ApiPaths.DEVICES, api.get(ApiPaths.DEVICES, null));
        check("GET", ApiPaths.DEVICES, api.get(ApiPaths.DEVICES, ADMIN, "Accept", "text/html"));
        check("POST", ApiPaths.CREATE_UPDATE, publish("v1.1.0", "scheduled", "libopus0", null));
        String updateId = check("GET", ApiPaths.UPDATES, api.get(ApiPaths.UPDATES, ADMIN)).json().get("updates").get(0)
                .get("id").asString();
        String updates = ApiPaths.UPDATES + "?version=v1.1.0&update_type=scheduled&status=pending&page=0&size=9";
        check("GET", updates, api.get(updates, ADMIN));
        check("GET", ApiPaths.UPDATES, api.get("/api/v1/updates?status=failed", ADMIN));
        check("GET", ApiPaths.UPDATES, api.get(ApiPaths.UPDATES + "?size=0", ADMIN));
        check("GET", ApiPaths.UPDATES, api.get(ApiPaths.UPDATES + "?update_type=whenever", ADMIN));
        check("GET", ApiPaths.UPDATES, api.get(ApiPaths.UPDATES + "?status=asleep", ADMIN));
        check("POST", ApiPaths.CREATE_UPDATE, publish("v1.1.0", "scheduled", "libopus0", null));
        String create = ApiPaths.CREATE_UPDATE;
        check("POST", create, api.multipart(create, ADMIN, Map.of("version", "v1.2.0")));
        check("POST", create, api.multipart(create, token, form("v1.2.0", "urgent", null, null)));
        check("POST", create, api.multipart(create, ENROLLMENT, form("v1.2.0", "urgent", null, null)));
        check("POST", ApiPaths.CREATE_UPDATE, api.post(ApiPaths.CREATE_UPDATE, ADMIN, Map.of("version", "v1.2.0")));
        check("GET", ApiPaths.UPDATES, api.get(ApiPaths.UPDATES, token));
        String targeted = publishedFor(uuid);

        // the update's way on the device: check, download (whole, range, not modified, beyond the end), reports
        check("GET", ApiPaths.check(uuid), api.get(ApiPaths.check(uuid), token));
        check("POST", ApiPaths.heartbeat(uuid), api.post(ApiPaths.heartbeat(uuid), token, Map.of()));
        String download = ApiPaths.download(updateId);
        HttpApi.Response whole = check("GET", download, api.get(download, token));
        check("GET", download, api.get(download, token, "Range", "bytes=0-9"));
        check("GET", download, api.get(download, token, "If-None-Match", whole.header("ETag")));
        check("GET", download, api.get(download, token, "Range", "bytes=" + (whole.bytes().length + 10) + "-"));
        check("GET", download, api.get(download, ADMIN));
        check("GET", ApiPaths.download(targeted), api.get(ApiPaths.download(targeted), other.token()));
        check("GET", download, api.get(download, ENROLLMENT));
        check("GET", ApiPaths.download(UUID.randomUUID()), api.get(ApiPaths.download(UUID.randomUUID()), ADMIN));
        check("GET", ApiPaths.download("nope"), api.get(ApiPaths.download("nope"), ADMIN));
        // no delta was made (no earlier version is published): the device downloads the package
        String delta = ApiPaths.deltaDownload(updateId, "v1.0.0");
        check("GET", delta, api.get(delta, token));
        check("GET", ApiPaths.deltaDownload(targeted, "v1.0.0"), api.get(ApiPaths.deltaDownload(targeted, "v1.0.0"),
                other.token()));
        check("GET", delta, api.get(delta, ENROLLMENT));
        String status = ApiPaths.updateStatus(targeted);
        check("POST", status, api.post(status, token, Map.of("status", "downloading")));
        check("POST", status, api.post(status, token, Map.of("device_uuid", uuid, "status", "installing")));
        check("POST", status, api.post(status, token, Map.of("status", "pending")));
        check("POST", status, api.post(status, other.token(), Map.of("device_uuid", uuid, "status", "failed")));
        check("POST", status, api.post(status, ADMIN, Map.of("status", "failed")));
        check("POST", status, api.post(status, ADMIN, Map.of("device_uuid", uuid, "status", "failed",
                "error_message", "the service did not come back")));
        check("POST", status, api.post(status, token, Map.of()));
        check("POST", ApiPaths.updateStatus(UUID.randomUUID()), api.post(ApiPaths.updateStatus(UUID.randomUUID()),
                token, Map.of("status", "downloading")));
        check("POST", ApiPaths.updateStatus("nope"), api.post(ApiPaths.updateStatus("nope"), token,
                Map.of("status", "downloading")));
        check("GET", ApiPaths.device(uuid), api.get(ApiPaths.device(uuid), token));

        // what the operator reads of one update and one device
        String one = ApiPaths.update(targeted);
        check("GET", one, api.get(one, ADMIN));
        check("GET", one, api.get(one, token));
        check("GET", ApiPaths.update(UUID.randomUUID()), api.get(ApiPaths.update(UUID.randomUUID()), ADMIN));
        check("GET", ApiPaths.update("nope"), api.get(ApiPaths.update("nope"), ADMIN));
        String devices = ApiPaths.updateDevices(targeted);
        check("GET", devices, api.get(devices + "?status=failed", ADMIN));
        check("GET", devices, api.get(devices + "?page=1&size=1", ADMIN));
        check("GET", devices, api.get(devices + "?status=asleep", ADMIN));
        check("GET", devices, api.get(devices, null));
        check("GET", ApiPaths.updateDevices(UUID.randomUUID()),
                api.get(ApiPaths.updateDevices(UUID.randomUUID()), ADMIN));
        String history = ApiPaths.deviceUpdates(uuid);
        check("GET", history, api.get(history, token));
        check("GET", history, api.get(history, ADMIN));
        check("GET", history, api.get(history, other.token()));
        check("GET", ApiPaths.deviceUpdates(unknown), api.get(ApiPaths.deviceUpdates(unknown), ADMIN));
        check("GET", ApiPaths.deviceUpdates("x"), api.get(ApiPaths.deviceUpdates("x"), ADMIN));
        String pendingFor = check("POST", ApiPaths.CREATE_UPDATE, publish("v1.3.0", "scheduled", null, other.uuid()))
                .json().get("update").get("id").asString();
        String device = ApiPaths.device(other.uuid());
        check("PATCH", device, api.patch(device, ADMIN, Map.of("device_name", "hall",
                "update_window", Map.of("start_hour", 3, "length_minutes", 120))));
        check("PATCH", device, api.patch(device, ADMIN, Map.of("update_window", Map.of("start_hour", 24))));
        check("PATCH", device, api.patch(device, other.token(), Map.of("device_name", "mine")));
        check("PATCH", ApiPaths.device(unknown), api.patch(ApiPaths.device(unknown), ADMIN, Map.of("device_name", "x")));
        check("GET", device, api.get(device, ADMIN));
        String installNow = ApiPaths.installNow(pendingFor, other.uuid());
        check("POST", installNow, api.post(installNow, ADMIN, Map.of()));
        check("POST", installNow, api.post(installNow, other.token(), Map.of()));
        check("POST", ApiPaths.installNow(pendingFor, unknown), api.post(ApiPaths.installNow(pendingFor, unknown),
                ADMIN, Map.of()));
        check("POST", ApiPaths.installNow(targeted, uuid), api.post(ApiPaths.installNow(targeted, uuid), ADMIN,
                Map.of()));
        check("POST", ApiPaths.installNow("nope", uuid), api.post(ApiPaths.installNow("nope", uuid), ADMIN,
                Map.of()));
        // a retry of a failed update (200), then of what did not fail (409), by a device (403), of an update the
        // device does not have (404)
        String retry = ApiPaths.retry(pendingFor, other.uuid());
        assertThat(api.post(ApiPaths.updateStatus(pendingFor), other.token(), Map.of("status", "downloading"))
                .status()).isEqualTo(200);
        assertThat(api.post(ApiPaths.updateStatus(pendingFor), other.token(), Map.of("status", "failed",
                "error_message", "disk full")).status()).isEqualTo(200);
        check("POST", retry, api.post(retry, ADMIN, Map.of()));
        check("POST", retry, api.post(retry, ADMIN, Map.of()));
        check("POST", retry, api.post(retry, other.token(), Map.of()));
        check("POST", ApiPaths.retry(targeted, other.uuid()), api.post(ApiPaths.retry(targeted, other.uuid()), ADMIN,
                Map.of()));
        check("POST", ApiPaths.retry("nope", uuid), api.post(ApiPaths.retry("nope", uuid), ADMIN, Map.of()));

        // a device's key: bound at registration, a challenge (and a refusal for an unbound device), the reset
        java.security.KeyPair key = dev.javia.ota.protocol.trust.Ed25519Keys.generate();
        String keyed = newDeviceUuid();
        check("POST", ApiPaths.REGISTER, api.post(ApiPaths.REGISTER, ENROLLMENT, Map.of("device_uuid", keyed,
                "timezone", "UTC", "public_key", dev.javia.ota.protocol.trust.Ed25519Keys.text(key.getPublic()))));
        check("POST", ApiPaths.CHALLENGE, api.post(ApiPaths.CHALLENGE, null, Map.of("device_uuid", keyed)));
        check("POST", ApiPaths.CHALLENGE, api.post(ApiPaths.CHALLENGE, null, Map.of("device_uuid", unknown)));
        String resetKey = "/api/v1/devices/{deviceUuid}/reset-key";
        check("POST", resetKey, api.post(ApiPaths.resetDeviceKey(keyed), ADMIN, Map.of("reason", "new SD card")));
        check("POST", resetKey, api.post(ApiPaths.resetDeviceKey(unknown), ADMIN, Map.of()));

        // rollouts: the list, one, and every action with a success and a refusal
        check("GET", ApiPaths.ROLLOUTS, api.get(ApiPaths.ROLLOUTS, ADMIN));
        check("GET", ApiPaths.ROLLOUTS, api.get(ApiPaths.ROLLOUTS + "?state=running&version=v1.1.0&page=0&size=5",
                ADMIN));
        check("GET", ApiPaths.ROLLOUTS, api.get(ApiPaths.ROLLOUTS + "?state=bogus", ADMIN));
        check("GET", ApiPaths.ROLLOUTS, api.get(ApiPaths.ROLLOUTS, token));
        String first = api.get(ApiPaths.ROLLOUTS + "?version=v1.1.0", ADMIN).json().get("rollouts").get(0).get("id")
                .asString();
        String rollout = "/api/v1/rollouts/{id}";
        check("GET", rollout, api.get(ApiPaths.rollout(first), ADMIN));
        check("GET", rollout, api.get(ApiPaths.rollout(unknown), ADMIN));
        check("GET", rollout, api.get(ApiPaths.rollout("nope"), ADMIN));
        check("POST", rollout + "/pause", api.post(ApiPaths.rolloutAction(first, "pause"), ADMIN,
                Map.of("reason", "looking at the canary")));
        check("POST", rollout + "/pause", api.post(ApiPaths.rolloutAction(first, "pause"), ADMIN, Map.of()));
        check("POST", rollout + "/resume", api.post(ApiPaths.rolloutAction(first, "resume"), ADMIN, Map.of()));
        check("POST", rollout + "/resume", api.post(ApiPaths.rolloutAction(first, "resume"), ADMIN, Map.of()));
        check("POST", rollout + "/advance", api.post(ApiPaths.rolloutAction(first, "advance"), ADMIN, Map.of()));
        check("POST", rollout + "/advance", api.post(ApiPaths.rolloutAction(first, "advance"), ADMIN, Map.of()));
        check("POST", rollout + "/cancel", api.post(ApiPaths.rolloutAction(first, "cancel"), ADMIN, Map.of()));
        check("POST", rollout + "/start", api.post(ApiPaths.rolloutAction(first, "start"), ADMIN, Map.of()));
        // a new rollout of the version whose rollout was just cancelled; refused while that one runs, or unknown
        check("POST", ApiPaths.ROLLOUTS, api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "v1.1.0",
                "phases", "1,100%", "soak", "1h", "require_approval", false)));
        check("POST", ApiPaths.ROLLOUTS, api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "v1.1.0")));
        check("POST", ApiPaths.ROLLOUTS, api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "v9.0.0")));
        check("POST", ApiPaths.ROLLOUTS, api.post(ApiPaths.ROLLOUTS, ADMIN, Map.of("version", "v1.1.0",
                "phases", "1,10%")));
        check("POST", ApiPaths.ROLLOUTS, api.post(ApiPaths.ROLLOUTS, token, Map.of("version", "v1.1.0")));
        Map<String, Object> approval = form("v1.4.0", "urgent", null, other.uuid());
        approval.put("require_approval", "true");
        approval.put("package", samplePackage("v1.4.0", UpdateType.URGENT, null));
        HttpApi.Response held = check("POST", ApiPaths.CREATE_UPDATE, api.multipart(ApiPaths.CREATE_UPDATE, ADMIN,
                approval));
        String second = held.json().get("rollout").get("id").asString();
        String heldUpdate = held.json().get("update").get("id").asString();
        check("POST", rollout + "/start", api.post(ApiPaths.rolloutAction(second, "start"), ADMIN,
                Map.of("at", "2026-06-15T13:00:00Z")));
        check("POST", rollout + "/approve", api.post(ApiPaths.rolloutAction(second, "approve"), ADMIN, Map.of()));
        check("POST", rollout + "/approve", api.post(ApiPaths.rolloutAction(second, "approve"), SECOND_ADMIN,
                Map.of()));
        check("POST", rollout + "/retry-failed", api.post(ApiPaths.rolloutAction(second, "retry-failed"), ADMIN,
                Map.of()));
        clock.advance(java.time.Duration.ofHours(1));
        api.post(ApiPaths.rolloutAction(second, "start"), ADMIN, Map.of());
        api.post(ApiPaths.updateStatus(heldUpdate), other.token(), Map.of("status", "failed", "error_message",
                "no space left on device"));
        check("POST", rollout + "/retry-failed", api.post(ApiPaths.rolloutAction(second, "retry-failed"), ADMIN,
                Map.of()));
        check("POST", rollout + "/cancel", api.post(ApiPaths.rolloutAction(second, "cancel"), ADMIN, Map.of()));
        check("POST", rollout + "/rollback", api.post(ApiPaths.rolloutAction(second, "rollback"), ADMIN,
                Map.of("to_version", "v0.1.0")));
        check("POST", rollout + "/rollback", api.post(ApiPaths.rolloutAction(second, "rollback"), ADMIN,
                Map.of("reason", "the canary failed")));

        // the audit log of all that
        check("GET", ApiPaths.AUDIT, api.get(ApiPaths.AUDIT, ADMIN));
        String audit = ApiPaths.AUDIT + "?actor=admin&action=device.changed&target_type=device&target_id="
                + other.uuid() + "&since=2026-06-15T00:00:00Z&until=2026-06-16T00:00:00Z&page=0&size=9";
        check("GET", audit, api.get(audit, ADMIN));
        check("GET", ApiPaths.AUDIT, api.get(ApiPaths.AUDIT + "?since=yesterday", ADMIN));
        check("GET", ApiPaths.AUDIT, api.get(ApiPaths.AUDIT, token));
        check("GET", ApiPaths.AUDIT, api.get(ApiPaths.AUDIT, null));

        // webhooks: subscribe, read, change, the delivery log, unsubscribe, and their refusals
        String webhooks = ApiPaths.WEBHOOKS;
        String webhookId = check("POST", webhooks, api.post(webhooks, ADMIN, Map.of("url", "http://127.0.0.1:9/hook",
                "events", List.of("device.update_failed"), "description", "ops"))).json().get("webhook").get("id")
                .asString();
        check("POST", webhooks, api.post(webhooks, ADMIN, Map.of("url", "ftp://example.com/")));
        check("POST", webhooks, api.post(webhooks, ADMIN, Map.of("url", "http://127.0.0.1:9/", "events",
                List.of("nope"))));
        check("POST", webhooks, api.post(webhooks, token, Map.of("url", "http://127.0.0.1:9/")));
        check("GET", webhooks, api.get(webhooks, ADMIN));
        check("GET", webhooks, api.get(webhooks + "?size=0", ADMIN));
        String webhook = ApiPaths.webhook(webhookId);
        String noWebhook = ApiPaths.webhook(UUID.randomUUID());
        check("GET", webhook, api.get(webhook, ADMIN));
        check("GET", noWebhook, api.get(noWebhook, ADMIN));
        check("GET", webhook, api.get(webhook, ENROLLMENT));
        check("PATCH", webhook, api.patch(webhook, ADMIN, Map.of("enabled", false, "events", List.of("*"))));
        check("PATCH", webhook, api.patch(webhook, ADMIN, Map.of("secret", "short")));
        check("PATCH", noWebhook, api.patch(noWebhook, ADMIN, Map.of("enabled", true)));
        String deliveries = ApiPaths.webhookDeliveries(webhookId);
        check("GET", deliveries, api.get(deliveries + "?status=pending&page=0&size=10", ADMIN));
        check("GET", deliveries, api.get(deliveries + "?status=lost", ADMIN));
        check("GET", ApiPaths.webhookDeliveries(UUID.randomUUID()),
                api.get(ApiPaths.webhookDeliveries(UUID.randomUUID()), ADMIN));
        check("DELETE", webhook, api.delete(webhook, ADMIN));
        check("DELETE", webhook, api.delete(webhook, ADMIN));
        check("DELETE", webhook, api.delete(webhook, token));

        // a delta: two releases that share a large file
        for (String version : List.of("v1.5.0", "v1.6.0")) {
            Map<String, Object> release = form(version, "scheduled", null, null);
            try {
                release.put("package", release(work, version, 1));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            check("POST", ApiPaths.CREATE_UPDATE, api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, release));
        }
        String withDelta = api.get(ApiPaths.UPDATES + "?version=v1.6.0", ADMIN).json().get("updates").get(0).get("id")
                .asString();
        String deltaDownload = ApiPaths.deltaDownload(withDelta, "v1.5.0");
        HttpApi.Response wholeDelta = check("GET", deltaDownload, api.get(deltaDownload, ADMIN));
        check("GET", deltaDownload, api.get(deltaDownload, ADMIN, "Range", "bytes=0-9"));
        check("GET", deltaDownload, api.get(deltaDownload, ADMIN, "If-None-Match", wholeDelta.header("ETag")));
        check("GET", deltaDownload, api.get(deltaDownload, ADMIN, "Range", "bytes=" + (wholeDelta.bytes().length + 10)
                + "-"));

        assertThat(violations).as("answers that differ from the API document").isEmpty();
        for (ApiDocument.Operation operation : document.operations()) {
            assertThat(answered).as("statuses answered by " + operation)
                    .anyMatch(seen -> seen.startsWith(operation + " 2"))
                    .anyMatch(seen -> seen.startsWith(operation + " 4"));
        }
    }

    /** Publishes an update for one device alone; answers its id. */
    private String publishedFor(String deviceUuid) {
        HttpApi.Response response = check("POST", ApiPaths.CREATE_UPDATE,
                publish("v1.2.0", "urgent", null, deviceUuid));
        return response.json().get("update").get("id").asString();
    }

    private HttpApi.Response check(String method, String path, HttpApi.Response response) {
        String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        List<String> found = document.violations(method, bare, response.status(), response.header("Content-Type"),
                response.bytes());
        found.forEach(violation -> violations.add(method + " " + path + ": " + violation));
        document.operation(method, bare).ifPresent(op -> answered.add(op + " " + response.status()));
        return response;
    }
}
