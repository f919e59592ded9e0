package dev.javia.ota.server.testing;

import dev.javia.ota.server.testing.DashboardHttp.Session;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The event names a stream sends, read on a thread of their own. */
public final class SseEvents implements AutoCloseable {

    private final BlockingQueue<String> names = new LinkedBlockingQueue<>();
    private final InputStream body;

    private SseEvents(InputStream body) {
        this.body = body;
        Thread reader = new Thread(this::read, "stream-reader");
        reader.setDaemon(true);
        reader.start();
    }

    public static SseEvents open(DashboardHttp dashboard, String path, Session session) throws Exception {
        HttpResponse<InputStream> response = dashboard.client().send(dashboard.request(path, session)
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        return new SseEvents(response.body());
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

    public String next() throws InterruptedException {
        String name = names.poll(10, TimeUnit.SECONDS);
        assertThat(name).as("an event within 10 s").isNotNull();
        return name;
    }

    /** Reads up to the event {@code name} (each within 10 s) and answers the ones before it. */
    public List<String> until(String name) throws InterruptedException {
        List<String> before = new ArrayList<>();
        for (String next = next(); !next.equals(name); next = next()) {
            before.add(next);
        }
        return before;
    }

    /** The next event and those sent with it (one flush of the hub). */
    public List<String> nextBurst() throws InterruptedException {
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
