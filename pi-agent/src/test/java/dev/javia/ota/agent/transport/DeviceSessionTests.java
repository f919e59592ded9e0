package dev.javia.ota.agent.transport;

import dev.javia.ota.agent.identity.DeviceIdentity;
import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateStatus;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The session stamps every heartbeat and report with this run's id and the next seq, so the server can order them. */
class DeviceSessionTests {

    private final MockWebServer server = new MockWebServer();
    private DeviceSession session;

    @BeforeEach
    void start(@TempDir Path dir) throws IOException {
        server.start();
        ServerClient client = new ServerClient(URI.create(server.url("/").toString()), Duration.ofSeconds(5));
        DeviceIdentity identity = DeviceIdentity.load(dir.resolve("uuid"), dir.resolve("token"));
        identity.saveToken("tok");
        session = new DeviceSession(client, identity, "enrollment", () -> null);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void heartbeatsAndReportsCarryOneRunIdAndAnIncreasingSeq() throws Exception {
        server.enqueue(json("{\"device_uuid\":\"u\",\"status\":\"online\",\"heartbeat_interval_seconds\":300}"));
        server.enqueue(json("{\"status\":\"downloading\"}"));
        server.enqueue(json("{\"device_uuid\":\"u\",\"status\":\"updating\",\"heartbeat_interval_seconds\":300}"));

        session.heartbeat(new Heartbeat("v1.0.0", DeviceStatus.ONLINE, null));
        session.report(UUID.randomUUID(), new StatusReport(session.deviceUuid(), UpdateStatus.DOWNLOADING, null));
        session.heartbeat(new Heartbeat("v1.0.0", DeviceStatus.UPDATING, null));

        JsonNode first = body();
        JsonNode second = body();
        JsonNode third = body();
        assertThat(first.get("seq").asLong()).isEqualTo(1);
        assertThat(second.get("seq").asLong()).isEqualTo(2);
        assertThat(third.get("seq").asLong()).isEqualTo(3);
        assertThat(first.get("run_id").asText()).isNotBlank()
                .isEqualTo(second.get("run_id").asText()).isEqualTo(third.get("run_id").asText());
    }

    private JsonNode body() throws InterruptedException {
        return JsonMapper.builder().build().readTree(server.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
    }

    private static MockResponse json(String body) {
        return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json").body(body).build();
    }
}
