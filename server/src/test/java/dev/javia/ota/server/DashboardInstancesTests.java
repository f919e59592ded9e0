package dev.javia.ota.server;

import dev.javia.ota.server.testing.DashboardHttp;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import dev.javia.ota.server.testing.DatabaseProxy;
import dev.javia.ota.server.testing.SseEvents;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.URI;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard behind a load balancer: a page open on instance B hears of a device that registered through A (their
 * only link is PostgreSQL's NOTIFY), and while B's listening connection is cut its pages are told they are not live,
 * then live again, with everything to fetch again, once it is back.
 */
class DashboardInstancesTests extends ApiTestSupport {

    @Test
    void aPageOnOneInstanceFollowsWritesOnAnotherAndSaysWhenItCannot() throws Exception {
        URI database = URI.create(environment.getProperty("spring.datasource.url").substring("jdbc:".length()));
        try (DatabaseProxy listenerLink = DatabaseProxy.to(database.getHost(), database.getPort())) {
            String listenerUrl = "jdbc:postgresql://127.0.0.1:" + listenerLink.port() + database.getRawPath()
                    + (database.getRawQuery() == null ? "" : "?" + database.getRawQuery());
            try (ConfigurableApplicationContext b = startSecondInstance(Map.of("ota.db-listen.url", listenerUrl,
                    "ota.db-listen.reconnect-interval", "100ms"))) {
                DashboardHttp pagesOfB = new DashboardHttp(((WebServerApplicationContext) b).getWebServer().getPort());
                Session session = pagesOfB.signIn(ADMIN);
                try (SseEvents events = SseEvents.open(pagesOfB, "/events", session)) {
                    assertThat(events.next()).isEqualTo("open");

                    register("Europe/Berlin");
                    events.until("fleet");

                    listenerLink.cut();
                    events.until("not-live");

                    listenerLink.restore();
                    events.until("open");
                    assertThat(events.nextBurst()).as("back, and everything to fetch again")
                            .contains("fleet", "rollout", "audit", "webhook");
                }
            }
        }
    }
}
