package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.context.support.ServletRequestHandledEvent;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A check-in pays for nothing that nothing reads (docs/operations.md, "Metrics"): no per-request timer, no
 * observation around each security filter, no event after each request. Each one cost a tenth or more of a check-in's
 * server CPU (bench/README.md, "Check-in").
 */
class RequestMetricsTests extends ApiTestSupport {

    @Autowired
    MeterRegistry meters;

    @Autowired
    ConfigurableApplicationContext context;

    @Test
    void requestsAreNotTimed() {
        checkIn();

        assertThat(meters.find("http.server.requests").meters()).isEmpty();
        assertThat(meters.find("http.server.requests.active").meters()).isEmpty();
    }

    @Test
    void securityFiltersAreNotObserved() {
        checkIn();

        assertThat(meters.getMeters()).map(meter -> meter.getId().getName())
                .noneMatch(name -> name.startsWith("spring.security"));
    }

    @Test
    void noEventIsPublishedPerRequest() {
        // published on Tomcat's threads, which Spring's test event recording does not see
        List<ServletRequestHandledEvent> handled = new CopyOnWriteArrayList<>();
        ApplicationListener<ServletRequestHandledEvent> listener = handled::add;
        context.addApplicationListener(listener);
        try {
            checkIn();
        } finally {
            context.removeApplicationListener(listener);
        }

        assertThat(handled).isEmpty();
    }

    private void checkIn() {
        TestDevice device = register("UTC");
        assertThat(api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of()).status()).isEqualTo(200);
        assertThat(api.get("/actuator/health/liveness", null).status()).isEqualTo(200);
        assertThat(api.get(ApiPaths.DEVICES, ADMIN).status()).isEqualTo(200);
    }
}
