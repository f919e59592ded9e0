package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A check-in pays for no per-request timer that nothing exports (docs/operations.md, "Metrics"). */
class RequestMetricsTests extends ApiTestSupport {

    @Autowired
    MeterRegistry meters;

    @Test
    void requestsAreNotTimed() {
        TestDevice device = register("UTC");
        assertThat(api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of()).status()).isEqualTo(200);
        assertThat(api.get("/actuator/health/liveness", null).status()).isEqualTo(200);

        assertThat(meters.find("http.server.requests").meters()).isEmpty();
        assertThat(meters.find("http.server.requests.active").meters()).isEmpty();
    }
}
