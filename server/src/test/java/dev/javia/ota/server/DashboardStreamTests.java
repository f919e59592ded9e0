package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.DashboardHttp;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

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
        try (Events events = Events.open(dashboard, "/events?device=" + followed.uuid(), session)) {
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

    /** The event names a stream sends, read on a thread of their own. */
    private static final class Events implements AutoCloseable {

        private final BlockingQueue<String> names = new LinkedBlockingQueue<>();
        private final InputStream body;

        private Events(InputStream body) {
            this.body = body;
            Thread reader = new Thread(this::read, "stream-reader");
            reader.setDaemon(true);
            reader.start();
        }

        static Events open(DashboardHttp dashboard, String path, Session session) throws Exception {
            HttpResponse<InputStream> response = dashboard.client().send(dashboard.request(path, session)
                    .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            return new Events(response.body());
        }

        private void read() {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.startsWith("event:")) {
                        names.add(line.substring("event:".length()).trim());
                    }
                }
            } catch (java.io.IOException e) {
                // closed by the test
            }
        }

        String next() throws InterruptedException {
            String name = names.poll(10, TimeUnit.SECONDS);
            assertThat(name).as("an event within 10 s").isNotNull();
            return name;
        }

        /** The next event and those sent with it (one flush of the hub). */
        List<String> nextBurst() throws InterruptedException {
            List<String> burst = new ArrayList<>(List.of(next()));
            String more;
            while ((more = names.poll(600, TimeUnit.MILLISECONDS)) != null) {
                burst.add(more);
            }
            return burst;
        }

        @Override
        public void close() throws Exception {
            body.close();
        }
    }
}
