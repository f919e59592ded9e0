package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.DashboardHttp;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import dev.javia.ota.server.testing.SseEvents;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A page's live stream ({@code GET /events}) at the HTTP level: it opens only for a signed-in session (a stream
 * without one is told 401, not sent to a sign-in page it cannot show), says it is live, and names what changed: the
 * fleet for any device, the device for a page that follows it, and nothing of another device's.
 */
class DashboardStreamTests extends ApiTestSupport {

    @Test
    void aStreamWithoutASessionIsRefused() {
        DashboardHttp dashboard = new DashboardHttp(port);
        HttpResponse<String> refused = dashboard.get("/events", new Session("", null, null));
        assertThat(refused.statusCode()).isEqualTo(401);

        TestDevice device = register("Europe/Berlin");
        HttpResponse<String> withToken = dashboard.send(dashboard.request("/events", new Session("", null, null))
                .header(ApiPaths.API_KEY_HEADER, device.token()).GET().build());
        assertThat(withToken.statusCode()).as("a device token opens no stream of the dashboard's").isEqualTo(401);
    }

    @Test
    void aStreamNamesTheFleetAndItsOwnDeviceWhenTheyChange() throws Exception {
        TestDevice followed = register("Europe/Berlin");
        TestDevice other = register("Europe/Berlin");
        DashboardHttp dashboard = new DashboardHttp(port);
        Session session = dashboard.signIn(ADMIN);
        try (SseEvents events = SseEvents.open(dashboard, "/events?device=" + followed.uuid(), session)) {
            assertThat(events.next()).isEqualTo("open");

            api.post(ApiPaths.heartbeat(other.uuid()), other.token(), Map.of("current_version", "v1.0.7"));
            assertThat(events.next()).isEqualTo("fleet");

            api.post(ApiPaths.heartbeat(followed.uuid()), followed.token(), Map.of("current_version", "v1.0.8"));
            List<String> told = events.nextBurst();
            assertThat(told).contains("fleet", "device");
        }
    }

    @Test
    void aMalformedFilterIsABadRequest() {
        DashboardHttp dashboard = new DashboardHttp(port);
        Session session = dashboard.signIn(ADMIN);
        assertThat(dashboard.get("/events?device=not-a-uuid", session).statusCode()).isEqualTo(400);
        assertThat(dashboard.get("/events?rollout=../../etc", session).statusCode()).isEqualTo(400);
    }
}
