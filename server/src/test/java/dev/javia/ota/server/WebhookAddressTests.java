package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.notify.Notifications;
import dev.javia.ota.server.notify.WebhookDelivery;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.TestServer;
import dev.javia.ota.server.testing.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server as it ships (private addresses not allowed): a webhook cannot point into the server's own network, by
 * an address or by a name, and a destination that resolves to such an address later is refused at delivery too.
 */
class WebhookAddressTests {

    private static TestServer server;
    private static HttpApi api;

    @BeforeAll
    static void startAServerThatRefusesPrivateAddresses() {
        server = TestServer.start(Map.of("ota.webhooks.allow-private-addresses", "false"));
        api = server.api();
    }

    @BeforeEach
    void noWebhooks() {
        server.jdbcTemplate().execute("truncate webhook_deliveries, webhooks");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/hook",
            "https://192.168.1.20/hook", "http://172.16.0.1/hook", "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/hook", "http://[fd00::1]/hook", "http://[fe80::1]/hook", "http://0.0.0.0/hook",
            "http://100.64.0.1/hook", "http://[::ffff:127.0.0.1]/hook", "http://2130706433/hook"})
    void aPrivateLoopbackOrLinkLocalDestinationIsRefused(String url) {
        HttpApi.Response refused = api.post(ApiPaths.WEBHOOKS, server.adminKey(), Map.of("url", url));

        assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
        assertThat(refused.json().get("detail").asString()).contains("OTA_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES");
        assertThat(server.jdbcTemplate().queryForObject("select count(*) from webhooks", Integer.class)).isZero();
    }

    @Test
    void aHostThatDoesNotResolveIsRefused() {
        HttpApi.Response refused = api.post(ApiPaths.WEBHOOKS, server.adminKey(),
                Map.of("url", "https://no-such-host.invalid/hook"));

        assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
        assertThat(refused.json().get("detail").asString()).contains("does not resolve");
    }

    @Test
    void aPublicAddressIsAccepted() {
        HttpApi.Response created = api.post(ApiPaths.WEBHOOKS, server.adminKey(),
                Map.of("url", "https://93.184.215.14/hooks/ota"));

        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        api.delete(ApiPaths.webhook(created.json().get("webhook").get("id").asString()), server.adminKey());
    }

    @Test
    void aDestinationThatIsPrivateAtDeliveryTimeIsNotCalled() {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            // as if the name had resolved to a public address when the webhook was saved
            server.jdbcTemplate().update("""
                    insert into webhooks (id, url, secret, events, description, enabled, created_at, updated_at)
                    values (gen_random_uuid(), ?, 'a-receivers-secret-0123456789', '{*}', null, true, now(), now())
                    """, receiver.url());
            server.bean(Notifications.class).publish(Notifications.Events.ROLLOUT_PAUSED, "paused", Map.of());

            server.bean(WebhookDelivery.class).tick();

            assertThat(receiver.received()).isEmpty();
            String id = server.jdbcTemplate().queryForObject("select id::text from webhooks", String.class);
            JsonNode logged = api.get(ApiPaths.webhookDeliveries(id), server.adminKey()).json().get("deliveries")
                    .get(0);
            assertThat(logged.get("status").asString()).isEqualTo("pending");
            assertThat(logged.get("last_error").asString()).contains("resolves to 127.0.0.1");
        }
    }
}
