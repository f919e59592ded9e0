package dev.javia.ota.agent;

import dev.javia.ota.agent.identity.DeviceIdentity;
import dev.javia.ota.agent.transport.DeviceSession;
import dev.javia.ota.agent.transport.ServerClient;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The agent's long poll beside its polls: woken, it has the loop check; a server without the wait (404) is not asked
 * for an hour; a failing one is asked again after a backoff or its Retry-After; an install ends a held wait.
 */
class PushWaitsTests {

    private static final String CURSOR = "0123456789abcdef";

    private final MockWebServer server = new MockWebServer();
    private final AtomicBoolean busy = new AtomicBoolean();
    private final CountDownLatch checked = new CountDownLatch(1);
    private PushWaits push;

    @BeforeEach
    void start(@TempDir Path dir) throws IOException {
        server.start();
        ServerClient client = new ServerClient(URI.create(server.url("/").toString()), Duration.ofSeconds(5));
        DeviceIdentity identity = DeviceIdentity.load(dir.resolve("uuid"), dir.resolve("token"));
        identity.saveToken("tok");
        push = new PushWaits(new DeviceSession(client, identity, "enrollment", () -> null));
        push.start(busy::get, () -> {
            checked.countDown();
            return CompletableFuture.completedFuture(null);
        });
    }

    @AfterEach
    void stop() {
        push.close();
        server.close();
    }

    @Test
    void aWakeHasTheLoopCheckAndTheNextWaitIsFromTheNextChecksCursor() throws Exception {
        server.enqueue(json("{\"check_now\":true,\"cursor\":\"fedcba9876543210\",\"wait_again_seconds\":0}"));
        server.enqueue(json("{\"check_now\":false,\"cursor\":\"1111111111111111\",\"wait_again_seconds\":0}"));
        push.cursor(CURSOR);

        RecordedRequest first = server.takeRequest(5, TimeUnit.SECONDS);
        assertThat(first.getTarget()).endsWith("/wait?cursor=" + CURSOR);
        assertThat(first.getHeaders().get("X-API-Key")).isEqualTo("tok");
        assertThat(checked.await(5, TimeUnit.SECONDS)).as("the loop told to check").isTrue();
        push.cursor("1111111111111111");
        assertThat(server.takeRequest(5, TimeUnit.SECONDS).getTarget()).endsWith("?cursor=1111111111111111");
    }

    @Test
    void aServerWithoutTheWaitIsNotAskedAgainForAnHour() throws Exception {
        server.enqueue(new MockResponse.Builder().code(404).build());
        push.cursor(CURSOR);

        assertThat(server.takeRequest(5, TimeUnit.SECONDS)).isNotNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> push.nextWaitIn().toMinutes() >= 59);
        assertThat(checked.getCount()).as("no check asked for").isEqualTo(1);
    }

    @Test
    void aFailingWaitIsTriedAgainAfterABackoffOrTheServersRetryAfter() throws Exception {
        server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "120").build());
        push.cursor(CURSOR);

        assertThat(server.takeRequest(5, TimeUnit.SECONDS)).isNotNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> push.nextWaitIn().toSeconds() >= 100);
        assertThat(push.nextWaitIn().toSeconds()).isLessThanOrEqualTo(120);
    }

    @Test
    void anInstallEndsTheHeldWaitAndNoneIsHeldUntilItIsOver() throws Exception {
        server.enqueue(new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .body("{\"check_now\":false,\"cursor\":\"" + CURSOR + "\",\"wait_again_seconds\":0}")
                .headersDelay(30, TimeUnit.SECONDS).build());
        push.cursor(CURSOR);
        assertThat(server.takeRequest(5, TimeUnit.SECONDS)).isNotNull();
        await().atMost(Duration.ofSeconds(5)).until(push::holding);

        busy.set(true);
        push.installStarts();

        await("the wait's connection closed").atMost(Duration.ofSeconds(5)).until(() -> !push.holding());
        assertThat(server.getRequestCount()).as("no wait during the install").isEqualTo(1);
    }

    private static MockResponse json(String body) {
        return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json").body(body).build();
    }
}
