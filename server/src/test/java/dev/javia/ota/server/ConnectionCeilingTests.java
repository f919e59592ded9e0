package dev.javia.ota.server;

import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * More slow clients than the connection ceiling, each sending a byte of its head every half second, with a header
 * timeout too long to help: the server sheds the ones waiting longest and keeps serving.
 */
@TestPropertySource(properties = {"server.tomcat.max-connections=200", "ota.connections.header-timeout=10m",
        // a context of its own: few database connections, PostgreSQL is shared
        "spring.datasource.hikari.maximum-pool-size=2"})
class ConnectionCeilingTests extends ApiTestSupport {

    @Test
    void slowClientsBeyondTheCeilingDoNotShutOthersOut() {
        try (SlowClients clients = new SlowClients(port)) {
            List<SlowClients.Connection> slow = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                slow.add(clients.dribbleHead("/actuator/health/liveness", Duration.ofMillis(500)));
            }

            HttpApi.Response other = api.get("/actuator/health/liveness", null);

            assertThat(other.status()).as(other.toString()).isEqualTo(200);
            // at most 180 may stay: shedding starts above 90% of the ceiling
            await().atMost(Duration.ofSeconds(20)).until(() -> clients.stopped() >= 120);
            SlowClients.Connection oldest = slow.get(0);
            assertThat(oldest.stopped()).isTrue();
            assertThat(oldest.answerUntilClosed(Duration.ofSeconds(5))).startsWith("HTTP/1.1 408 ")
                    .contains("connection limit");
        }
    }
}
