package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.device.Heartbeats;
import dev.javia.ota.server.metrics.FleetMetrics;
import dev.javia.ota.server.update.RolloutReconciler;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.TestPropertySource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * /actuator/prometheus over the real HTTP stack: the fleet's gauges after devices register and heartbeat and an
 * update is published, read from memory (a scrape with the database cut still answers), and every refusal: no key,
 * a wrong key, another kind of key, an address not allowed, a forwarded address that the server does not trust, and
 * nothing configured at all (404).
 */
@TestPropertySource(properties = {"ota.metrics.key=" + MetricsTests.KEY, "ota.metrics.allow-from=192.0.2.0/24",
        "ota.heartbeat-batching=true"})
class MetricsTests extends ApiTestSupport {

    static final String KEY = "metrics-key-5b8e2f9a1c7d4e3b6a0f";
    static final String PATH = "/actuator/prometheus";

    @Autowired
    FleetMetrics metrics;
    @Autowired
    Heartbeats heartbeats;
    @Autowired
    RolloutReconciler reconciler;

    @Test
    void scrapeShowsTheFleetAfterDevicesCheckInAndAnUpdateIsPublished() {
        TestDevice first = register("UTC", "v1.0.0");
        TestDevice second = register("UTC", "v1.0.0");
        TestDevice third = register("UTC", "v0.9.0");
        for (TestDevice device : new TestDevice[] {first, second, third}) {
            assertThat(api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of()).status()).isEqualTo(200);
        }
        assertThat(api.get(ApiPaths.BASE + "/devices/" + first.uuid() + "/updates/check", first.token()).status())
                .isEqualTo(200);
        // a heartbeat that changes the record is written at once; the others wait for the flush
        int flushed = heartbeats.flush();
        published("v1.1.0", "scheduled");
        reconciler.tick();
        metrics.refresh();

        String scrape = scrape(KEY);

        assertThat(scrape).contains("ota_devices{status=\"online\",version=\"v1.0.0\"} 2.0")
                .contains("ota_devices{status=\"online\",version=\"v0.9.0\"} 1.0")
                .contains("ota_checkins_total{kind=\"heartbeat\"} 3.0")
                .contains("ota_checkins_total{kind=\"check\"} 1.0")
                .contains("ota_heartbeat_flush_size " + (double) flushed)
                .contains("ota_heartbeat_pending 0.0")
                .contains("ota_heartbeat_flush_lag_seconds 0.0")
                .contains("ota_webhook_deliveries_failing 0.0")
                .contains("ota_metrics_refreshed_seconds " + (double) NOON_UTC.getEpochSecond());
        String rollout = jdbc.queryForObject("select id::text from rollouts", String.class);
        String tags = "rollout=\"" + rollout + "\",state=\"running\",version=\"v1.1.0\"";
        assertThat(scrape).contains("ota_rollouts{state=\"running\"} 1.0")
                .contains("ota_rollout_phase{" + tags + "} 1.0")
                .contains("ota_rollout_phases{" + tags + "} 1.0")
                .contains("ota_rollout_phase_devices{outcome=\"pending\"," + tags + "} 3.0")
                .contains("ota_rollout_phase_devices{outcome=\"completed\"," + tags + "} 0.0");
    }

    @Test
    void aFinishedRolloutDropsItsSeries() {
        register("UTC", "v1.0.0");
        published("v1.1.0", "scheduled");
        reconciler.tick();
        metrics.refresh();
        String rollout = jdbc.queryForObject("select id::text from rollouts", String.class);
        assertThat(scrape(KEY)).contains("ota_rollout_phase{rollout=\"" + rollout + "\"");

        assertThat(api.post(ApiPaths.ROLLOUTS + "/" + rollout + "/cancel", ADMIN, Map.of()).status()).isEqualTo(200);
        metrics.refresh();

        String scrape = scrape(KEY);
        assertThat(scrape).doesNotContain("rollout=\"" + rollout + "\"").contains("ota_rollouts{state=\"cancelled\"} 1.0")
                .doesNotContain("ota_rollouts{state=\"running\"}");
    }

    @Test
    void theGrafanaDashboardAsksOnlyForSeriesTheServerExposes() throws java.io.IOException {
        register("UTC", "v1.0.0");
        published("v1.1.0", "scheduled");
        reconciler.tick();
        metrics.refresh();
        String scrape = scrape(KEY);
        String dashboard = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "grafana", "javia-ota.json"));
        java.util.Set<String> asked = new java.util.TreeSet<>();
        java.util.regex.Matcher names = java.util.regex.Pattern.compile("\\bota_[a-z_]+").matcher(dashboard);
        while (names.find()) {
            asked.add(names.group());
        }

        assertThat(asked).contains("ota_devices", "ota_checkins_total", "ota_rollout_phase_devices",
                "ota_heartbeat_flush_lag_seconds", "ota_webhook_deliveries_failing");
        assertThat(asked).allSatisfy(name -> assertThat(scrape).as(name).containsPattern("(?m)^" + name + "[ {]"));
    }

    @Test
    void theFlushLagGrowsWithTheTimeSinceTheLastFlush() {
        heartbeats.flush();
        clock.set(NOON_UTC.plusSeconds(42));

        assertThat(scrape(KEY)).contains("ota_heartbeat_flush_lag_seconds 42.0");
    }

    @Test
    void theKeyWorksAsBearerOrApiKeyHeader() {
        assertThat(api.get(PATH, null, "Authorization", "Bearer " + KEY).status()).isEqualTo(200);
        assertThat(api.get(PATH, KEY).status()).isEqualTo(200);
    }

    @Test
    void withoutTheKeyFromAnAddressNotAllowedItIs401() {
        HttpApi.Response response = api.get(PATH, null);

        assertThat(response.status()).isEqualTo(401);
        assertThat(response.header("WWW-Authenticate")).isEqualTo("Bearer");
        assertThat(response.body()).contains("OTA_METRICS_KEY").doesNotContain("ota_devices");
    }

    @Test
    void aWrongKeyIsRefused() {
        assertThat(api.get(PATH, null, "Authorization", "Bearer " + KEY + "x").status()).isEqualTo(401);
        assertThat(api.get(PATH, KEY.substring(1)).status()).isEqualTo(401);
        assertThat(api.get(PATH, null, "Authorization", "Basic " + KEY).status()).isEqualTo(401);
    }

    @Test
    void noOtherKeyOpensTheMetrics() {
        TestDevice device = register("UTC");

        assertThat(api.get(PATH, ADMIN).status()).isEqualTo(401);
        assertThat(api.get(PATH, ENROLLMENT).status()).isEqualTo(401);
        assertThat(api.get(PATH, device.token()).status()).isEqualTo(401);
    }

    @Test
    void theMetricsKeyOpensNothingElse() {
        assertThat(api.get(ApiPaths.DEVICES, KEY).status()).isEqualTo(401);
        assertThat(api.get("/actuator/metrics", KEY).status()).isIn(401, 403, 404);
    }

    @Test
    void aForwardedAddressIsNotTrustedByDefault() {
        // the allowed block is 192.0.2.0/24; a client on loopback that claims to be forwarded from it is still loopback
        assertThat(api.get(PATH, null, "X-Forwarded-For", "192.0.2.7", "Forwarded", "for=192.0.2.7").status())
                .isEqualTo(401);
    }

    @Test
    void fromAnAllowedAddressNoKeyIsNeededAndOtherAddressesAre403() {
        try (ConfigurableApplicationContext allowed = startSecondInstance(Map.of("ota.metrics.allow-from",
                "10.0.0.0/8, 127.0.0.0/8"))) {
            HttpApi.Response response = on(allowed).get(PATH, null);
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).contains("ota_checkins_total");
        }
        try (ConfigurableApplicationContext other = startSecondInstance(Map.of("ota.metrics.allow-from",
                "10.0.0.0/8,::1/128"))) {
            HttpApi.Response response = on(other).get(PATH, null, "X-Forwarded-For", "10.1.2.3");
            assertThat(response.status()).isEqualTo(403);
            assertThat(response.body()).contains("OTA_METRICS_ALLOW_FROM").doesNotContain("ota_devices");
            assertThat(on(other).get(PATH, KEY).status()).isEqualTo(403);
        }
    }

    @Test
    void behindATrustedProxyTheForwardedAddressCounts() {
        // with server.forward-headers-strategy=native Tomcat takes X-Forwarded-For from a proxy on an internal address
        try (ConfigurableApplicationContext proxied = startSecondInstance(Map.of("ota.metrics.allow-from", "10.0.0.0/8",
                "server.forward-headers-strategy", "native"))) {
            assertThat(on(proxied).get(PATH, null, "X-Forwarded-For", "10.1.2.3").status()).isEqualTo(200);
            assertThat(on(proxied).get(PATH, null, "X-Forwarded-For", "198.51.100.4").status()).isEqualTo(403);
            assertThat(on(proxied).get(PATH, null).status()).isEqualTo(403);
        }
    }

    @Test
    void aWeakMetricsKeyStopsTheStart() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> startSecondInstance(Map.of("ota.metrics.key",
                "short-metrics-key")).close()).hasStackTraceContaining("OTA_METRICS_KEY is too short");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> startSecondInstance(Map.of("ota.metrics.allow-from",
                "prometheus.internal")).close()).hasStackTraceContaining("OTA_METRICS_ALLOW_FROM entry");
    }

    @Test
    void withNeitherKeyNorAddressesTheEndpointIs404ForEveryone() {
        try (ConfigurableApplicationContext closed = startSecondInstance(Map.of("ota.metrics.key", "",
                "ota.metrics.allow-from", ""))) {
            HttpApi api = on(closed);
            assertThat(api.get(PATH, null).status()).isEqualTo(404);
            assertThat(api.get(PATH, KEY).status()).isEqualTo(404);
            assertThat(api.get(PATH, ADMIN).status()).isEqualTo(404);
            assertThat(api.get(PATH, null, "Authorization", "Bearer " + KEY).status()).isEqualTo(404);
        }
    }

    @Test
    void aScrapeReadsNoDatabase() {
        try (TestServer server = TestServer.startBehindProxy(Map.of("ota.metrics.key", KEY))) {
            String uuid = newDeviceUuid();
            String token = server.api().register(server.enrollmentKey(), uuid, "UTC", "v2.0.0");
            assertThat(server.api().post(ApiPaths.heartbeat(uuid), token, Map.of()).status()).isEqualTo(200);
            server.bean(Heartbeats.class).flush();
            server.bean(FleetMetrics.class).refresh();

            server.databaseProxy().cut();
            try {
                HttpApi.Response response = server.api().get(PATH, KEY);

                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()).contains("ota_devices{status=\"online\",version=\"v2.0.0\"} 1.0");
            } finally {
                server.databaseProxy().restore();
            }
        }
    }

    private String scrape(String key) {
        HttpApi.Response response = api.get(PATH, null, "Authorization", "Bearer " + key);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        return response.body();
    }

    private static HttpApi on(ConfigurableApplicationContext context) {
        return new HttpApi("http://127.0.0.1:"
                + ((WebServerApplicationContext) context).getWebServer().getPort());
    }
}
