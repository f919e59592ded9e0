package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.ApiDocument;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 12: {@code GET /api/v1/updates/} is paged and filtered like the device list, and counts only its page. */
class UpdateListTests extends ApiTestSupport {

    private TestDevice a;
    private TestDevice b;
    private TestDevice c;

    /**
     * Four updates whose devices stand in known statuses. v1.1.0 (scheduled): a failed it, b and c were superseded
     * by v1.2.0. v1.2.0 (urgent): b completed it, c was superseded by v1.3.0, a by v1.10.0. v1.3.0 (scheduled, for c
     * alone) and v1.10.0 (urgent, for a alone) are pending.
     */
    @BeforeEach
    void fourUpdatesInKnownStatuses() {
        a = register("UTC", "v1.0.0");
        b = register("UTC", "v1.0.0");
        c = register("UTC", "v1.0.0");
        String first = published("v1.1.0", "scheduled");
        report(first, a, "downloading");
        report(first, a, "failed");
        clock.advance(Duration.ofMinutes(1));
        String second = published("v1.2.0", "urgent");
        report(second, b, "downloading");
        report(second, b, "installing");
        report(second, b, "completed");
        clock.advance(Duration.ofMinutes(1));
        publishedFor("v1.3.0", "scheduled", c);
        clock.advance(Duration.ofMinutes(1));
        publishedFor("v1.10.0", "urgent", a);
    }

    @Test
    void newestVersionFirstWithEachUpdatesCounts() {
        HttpApi.Response answer = api.get(ApiPaths.UPDATES, ADMIN);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        JsonNode page = answer.json();
        assertThat(versions(page)).containsExactly("v1.10.0", "v1.3.0", "v1.2.0", "v1.1.0");
        assertThat(page.get("page").asInt()).isZero();
        assertThat(page.get("size").asInt()).isEqualTo(100);
        assertThat(page.get("total_elements").asLong()).isEqualTo(4);
        assertThat(page.get("total_pages").asInt()).isEqualTo(1);
        assertThat(counts(page.get("updates").get(3))).isEqualTo(counts(0, 0, 0, 0, 1, 2));
        assertThat(counts(page.get("updates").get(2))).isEqualTo(counts(0, 0, 0, 1, 0, 2));
        assertThat(counts(page.get("updates").get(1))).isEqualTo(counts(1, 0, 0, 0, 0, 0));
        assertThat(counts(page.get("updates").get(0))).isEqualTo(counts(1, 0, 0, 0, 0, 0));
    }

    @Test
    void aPageAtATime() {
        JsonNode first = api.get(ApiPaths.UPDATES + "?size=3", ADMIN).json();
        JsonNode second = api.get(ApiPaths.UPDATES + "?size=3&page=1", ADMIN).json();
        JsonNode beyond = api.get(ApiPaths.UPDATES + "?size=3&page=2", ADMIN).json();

        assertThat(versions(first)).containsExactly("v1.10.0", "v1.3.0", "v1.2.0");
        assertThat(versions(second)).containsExactly("v1.1.0");
        assertThat(versions(beyond)).isEmpty();
        for (JsonNode page : List.of(first, second, beyond)) {
            assertThat(page.get("size").asInt()).isEqualTo(3);
            assertThat(page.get("total_elements").asLong()).isEqualTo(4);
            assertThat(page.get("total_pages").asInt()).isEqualTo(2);
        }
        assertThat(second.get("page").asInt()).isEqualTo(1);
    }

    @Test
    void eachPageCountsItsOwnUpdatesAsTheUpdateItselfDoes() {
        for (int page = 0; page < 4; page++) {
            JsonNode update = api.get(ApiPaths.UPDATES + "?size=1&page=" + page, ADMIN).json().get("updates").get(0);
            JsonNode one = api.get(ApiPaths.update(update.get("id").asText()), ADMIN).json();

            assertThat(update.get("status_counts")).as(update.get("version").asText())
                    .isEqualTo(one.get("status_counts"));
        }
        JsonNode oldest = api.get(ApiPaths.UPDATES + "?size=1&page=3", ADMIN).json().get("updates").get(0);
        assertThat(counts(oldest)).isEqualTo(counts(0, 0, 0, 0, 1, 2));
    }

    @Test
    void filtersByVersion() {
        assertThat(versions(api.get(ApiPaths.UPDATES + "?version=v1.3.0", ADMIN).json())).containsExactly("v1.3.0");
        JsonNode none = api.get(ApiPaths.UPDATES + "?version=v9.9.9", ADMIN).json();
        assertThat(versions(none)).isEmpty();
        assertThat(none.get("total_elements").asLong()).isZero();
        assertThat(none.get("total_pages").asInt()).isZero();
    }

    @Test
    void filtersByUpdateType() {
        assertThat(versions(api.get(ApiPaths.UPDATES + "?update_type=urgent", ADMIN).json()))
                .containsExactly("v1.10.0", "v1.2.0");
        assertThat(versions(api.get(ApiPaths.UPDATES + "?update_type=scheduled", ADMIN).json()))
                .containsExactly("v1.3.0", "v1.1.0");
    }

    @Test
    void filtersByADeviceStatusThatAtLeastOneDeviceHas() {
        assertThat(versions(api.get(ApiPaths.UPDATES + "?status=failed", ADMIN).json())).containsExactly("v1.1.0");
        assertThat(versions(api.get(ApiPaths.UPDATES + "?status=completed", ADMIN).json())).containsExactly("v1.2.0");
        assertThat(versions(api.get(ApiPaths.UPDATES + "?status=pending", ADMIN).json()))
                .containsExactly("v1.10.0", "v1.3.0");
        assertThat(versions(api.get(ApiPaths.UPDATES + "?status=superseded", ADMIN).json()))
                .containsExactly("v1.2.0", "v1.1.0");
        assertThat(versions(api.get(ApiPaths.UPDATES + "?status=downloading", ADMIN).json())).isEmpty();
        // the counts stay every status of the update, not only the one filtered on
        JsonNode failed = api.get(ApiPaths.UPDATES + "?status=failed", ADMIN).json().get("updates").get(0);
        assertThat(counts(failed)).isEqualTo(counts(0, 0, 0, 0, 1, 2));
    }

    @Test
    void filtersCombineAndABlankOneIsNoFilter() {
        assertThat(versions(api.get(ApiPaths.UPDATES + "?update_type=scheduled&status=pending", ADMIN).json()))
                .containsExactly("v1.3.0");
        assertThat(versions(api.get(ApiPaths.UPDATES + "?update_type=urgent&status=superseded", ADMIN).json()))
                .containsExactly("v1.2.0");
        assertThat(versions(api.get(ApiPaths.UPDATES + "?version=v1.2.0&update_type=scheduled", ADMIN).json()))
                .isEmpty();
        assertThat(versions(api.get(ApiPaths.UPDATES + "?version=v1.1.0&update_type=scheduled&status=failed", ADMIN)
                .json())).containsExactly("v1.1.0");
        assertThat(versions(api.get(ApiPaths.UPDATES + "?version=&update_type=&status=", ADMIN).json()))
                .containsExactly("v1.10.0", "v1.3.0", "v1.2.0", "v1.1.0");

        JsonNode second = api.get(ApiPaths.UPDATES + "?status=superseded&size=1&page=1", ADMIN).json();
        assertThat(versions(second)).containsExactly("v1.1.0");
        assertThat(second.get("total_elements").asLong()).isEqualTo(2);
        assertThat(second.get("total_pages").asInt()).isEqualTo(2);
    }

    @Test
    void refusalsSayWhatIsAllowed() {
        assertProblem(api.get(ApiPaths.UPDATES + "?page=-1", ADMIN), 400, "page must be 0 or more");
        assertProblem(api.get(ApiPaths.UPDATES + "?size=0", ADMIN), 400, "size between 1 and 500");
        assertProblem(api.get(ApiPaths.UPDATES + "?size=501", ADMIN), 400, "size between 1 and 500");
        assertProblem(api.get(ApiPaths.UPDATES + "?page=2147483647&size=500", ADMIN), 400, "beyond any fleet");
        assertProblem(api.get(ApiPaths.UPDATES + "?page=x", ADMIN), 400, "'page' must be a whole number, not 'x'");
        assertProblem(api.get(ApiPaths.UPDATES + "?update_type=whenever", ADMIN), 400,
                "update_type must be one of scheduled | urgent, not 'whenever'");
        assertProblem(api.get(ApiPaths.UPDATES + "?status=exploded", ADMIN), 400,
                "status must be one of pending | downloading | installing | completed | failed | superseded");
        // the list is the operator's
        assertThat(api.get(ApiPaths.UPDATES, a.token()).status()).isEqualTo(403);
        assertThat(api.get(ApiPaths.UPDATES, ENROLLMENT).status()).isEqualTo(403);
    }

    @Test
    void withAndWithoutTheTrailingSlashTheSameAnswer() {
        HttpApi.Response slash = api.get("/api/v1/updates/?update_type=urgent&size=1", ADMIN);
        HttpApi.Response none = api.get("/api/v1/updates?update_type=urgent&size=1", ADMIN);

        assertThat(slash.status()).as(slash.toString()).isEqualTo(200);
        assertThat(none.status()).as(none.toString()).isEqualTo(200);
        assertThat(none.json()).isEqualTo(slash.json());
        assertThat(versions(none.json())).containsExactly("v1.10.0");
    }

    @Test
    void theDocumentSaysWhatEachFilterTakes() {
        ApiDocument.Operation list = ApiDocument.of(api).operation("GET", ApiPaths.UPDATES).orElseThrow();
        Map<String, JsonNode> parameters = new TreeMap<>();
        list.parameters().forEach(parameter -> parameters.put(parameter.path("name").asText(), parameter));

        assertThat(parameters).containsOnlyKeys("version", "update_type", "status", "page", "size");
        parameters.forEach((name, parameter) -> {
            assertThat(parameter.path("in").asText()).as(name).isEqualTo("query");
            assertThat(parameter.path("required").asBoolean()).as(name).isFalse();
            assertThat(parameter.path("description").asText()).as(name).isNotBlank();
        });
        assertThat(parameters.get("update_type").path("schema").path("enum")).extracting(JsonNode::asText)
                .containsExactly("scheduled", "urgent");
        assertThat(parameters.get("status").path("schema").path("enum")).extracting(JsonNode::asText)
                .containsExactly("pending", "downloading", "installing", "completed", "failed", "superseded");
        assertThat(parameters.get("size").path("schema").path("maximum").asInt()).isEqualTo(500);
        assertThat(parameters.get("size").path("schema").path("default").asInt()).isEqualTo(100);
        assertThat(parameters.get("page").path("schema").path("minimum").asInt()).isZero();
    }

    private void report(String updateId, TestDevice device, String status) {
        HttpApi.Response answer = api.post(ApiPaths.updateStatus(updateId), device.token(),
                status.equals("failed") ? Map.of("status", status, "error_message", "health check failed")
                        : Map.of("status", status));
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    }

    private void publishedFor(String version, String type, TestDevice device) {
        HttpApi.Response answer = publish(version, type, null, device.uuid());
        assertThat(answer.status()).as(answer.toString()).isEqualTo(201);
    }

    private static List<String> versions(JsonNode page) {
        List<String> versions = new ArrayList<>();
        page.get("updates").forEach(update -> versions.add(update.get("version").asText()));
        return versions;
    }

    private static Map<String, Long> counts(JsonNode update) {
        Map<String, Long> counts = new TreeMap<>();
        update.get("status_counts").properties()
                .forEach(entry -> counts.put(entry.getKey(), entry.getValue().asLong()));
        return counts;
    }

    private static Map<String, Long> counts(long pending, long downloading, long installing, long completed,
            long failed, long superseded) {
        return new TreeMap<>(Map.of("pending", pending, "downloading", downloading, "installing", installing,
                "completed", completed, "failed", failed, "superseded", superseded));
    }
}
