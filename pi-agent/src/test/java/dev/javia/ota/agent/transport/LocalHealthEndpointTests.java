package dev.javia.ota.agent.transport;

import dev.javia.ota.agent.system.AppHealth;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** APP_HEALTH_URL: 2xx is well, anything else is not, and the first line of the body is the app's word. */
class LocalHealthEndpointTests {

    private static final Path RELEASE = Path.of("/opt/javia/releases/v1.1.0");
    private final MockWebServer app = new MockWebServer();

    @BeforeEach
    void start() throws IOException {
        app.start();
    }

    @AfterEach
    void stop() {
        app.close();
    }

    @Test
    void aTwoHundredIsWell() {
        app.enqueue(new MockResponse.Builder().code(200).body("wake-word engine loaded\nuptime 12 s\n").build());

        assertThat(endpoint().ask(RELEASE)).isEqualTo(new AppHealth.Answer(true, "says: wake-word engine loaded"));
    }

    @Test
    void anErrorIsNotWellAndCarriesTheAppsFirstLine() {
        app.enqueue(new MockResponse.Builder().code(503).body("wake-word engine failed to load model\n"
                + "Traceback (most recent call last): ...\n").build());

        AppHealth.Answer answer = endpoint().ask(RELEASE);

        assertThat(answer.well()).isFalse();
        assertThat(answer.account()).isEqualTo("says: wake-word engine failed to load model (503 on "
                + url() + ")");
    }

    /** The answer is the app's, from where it was asked: a redirect is not followed, and is not a 2xx. */
    @Test
    void aRedirectIsNotFollowedAndNotWell() {
        app.enqueue(new MockResponse.Builder().code(302).setHeader("Location", "http://example.com/ok").build());

        AppHealth.Answer answer = endpoint().ask(RELEASE);

        assertThat(answer.well()).isFalse();
        assertThat(app.getRequestCount()).isEqualTo(1);
    }

    @Test
    void nothingListeningIsNotWell() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        URI nowhere = URI.create("http://127.0.0.1:" + port + "/health");

        AppHealth.Answer answer = new LocalHealthEndpoint(nowhere, Duration.ofSeconds(2)).ask(RELEASE);

        assertThat(answer.well()).isFalse();
        assertThat(answer.account()).startsWith("did not answer its health endpoint " + nowhere + " within 2 s (");
    }

    private LocalHealthEndpoint endpoint() {
        return new LocalHealthEndpoint(url(), Duration.ofSeconds(5));
    }

    private URI url() {
        return URI.create(app.url("/health").toString());
    }
}
