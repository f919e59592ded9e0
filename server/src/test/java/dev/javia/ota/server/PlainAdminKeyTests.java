package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.TestDatabaseInitializer;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An OTA_ADMIN_API_KEY written before keys had names (the shared test server's: two plain keys) still starts and
 * still opens everything; its keys are named by position, {@code admin} and {@code admin-2}, in the audit log.
 */
class PlainAdminKeyTests extends ApiTestSupport {

    @Test
    void plainKeysAreNamedAdminAndAdminTwoByPosition() {
        TestDevice device = register("UTC");
        String version = "v9.1." + Math.floorMod(device.uuid().hashCode(), 1000);

        String id = published(version, "scheduled");
        HttpApi.Response renamed = api.patch(ApiPaths.device(device.uuid()), TestDatabaseInitializer.SECOND_ADMIN_KEY,
                Map.of("device_name", "hall"));

        assertThat(renamed.status()).as(renamed.toString()).isEqualTo(200);
        assertThat(onlyActor("?action=update.published&target_id=" + id)).isEqualTo("admin");
        assertThat(onlyActor("?action=device.changed&target_id=" + device.uuid())).isEqualTo("admin-2");
    }

    private String onlyActor(String query) {
        JsonNode entries = api.get(ApiPaths.AUDIT + query, ADMIN).json().get("entries");
        assertThat(entries).as(query).hasSize(1);
        return entries.get(0).get("actor").asText();
    }
}
