package dev.javia.ota.agent.config;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The settings of a Pi's realities: the app's own health, the disk margin, the download's cap. */
class RealitiesConfigTests {

    private static final Path HOME = Path.of("/home/pi");

    @Test
    void defaultsToNoAppHealthFiftyMegabytesOfMarginAndNoCap() {
        AgentConfig config = AgentConfig.from(Map.of("SERVER_URL", "http://ota.local:8000", "API_KEY", "k"), HOME);

        assertThat(config.appHealthCommand()).isEmpty();
        assertThat(config.appHealthUrl()).isNull();
        assertThat(config.appHealthTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.diskMarginBytes()).isEqualTo(50_000_000L);
        assertThat(config.downloadMaxBytesPerSecond()).isZero();
    }

    @Test
    void readsTheHealthCommandAsWordsAndTheOtherSettings() {
        AgentConfig config = AgentConfig.from(settings(Map.of("APP_HEALTH_COMMAND", "  ./healthcheck   --quick ",
                "APP_HEALTH_URL", "http://127.0.0.1:8080/health", "APP_HEALTH_TIMEOUT_SECONDS", "5",
                "DISK_MARGIN_MB", "100", "DOWNLOAD_MAX_KBPS", "256")), HOME);

        assertThat(config.appHealthCommand()).containsExactly("./healthcheck", "--quick");
        assertThat(config.appHealthUrl()).isEqualTo(URI.create("http://127.0.0.1:8080/health"));
        assertThat(config.appHealthTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.diskMarginBytes()).isEqualTo(100_000_000L);
        assertThat(config.downloadMaxBytesPerSecond()).isEqualTo(256L * 1024);
    }

    @Test
    void takesEveryLoopbackSpellingOfTheHealthUrl() {
        for (String url : List.of("http://127.0.0.1:8080/health", "http://127.0.0.53/", "http://[::1]:9000/ok",
                "http://localhost:8080/health?deep=1", "HTTP://LOCALHOST/health")) {
            assertThat(AgentConfig.from(settings(Map.of("APP_HEALTH_URL", url)), HOME).appHealthUrl())
                    .isEqualTo(URI.create(url));
        }
    }

    /** The agent runs as root and rolls back on the answer: it asks no other host whether the app is well. */
    @Test
    void refusesAHealthUrlBeyondTheLoopbackInterfaceAtStart() {
        for (String url : List.of("http://192.168.1.20:8080/health", "http://example.com/health",
                "https://127.0.0.1/health", "http://localhost.example.com/", "http://user@127.0.0.1/",
                "http://0.0.0.0:8080/", "http://127.0.0.1.nip.io/", "file:///tmp/health")) {
            assertThatThrownBy(() -> AgentConfig.from(settings(Map.of("APP_HEALTH_URL", url)), HOME))
                    .as(url).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                            .singleElement().asString().startsWith("APP_HEALTH_URL='" + url + "' must be an http:// "
                                    + "URL on this machine's loopback interface"));
        }
    }

    @Test
    void refusesAMarginOrACapThatIsNotAWholeNumber() {
        assertThatThrownBy(() -> AgentConfig.from(settings(Map.of("DISK_MARGIN_MB", "-1", "DOWNLOAD_MAX_KBPS",
                "fast")), HOME)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                .hasSize(2));
    }

    private static Map<String, String> settings(Map<String, String> more) {
        Map<String, String> env = new HashMap<>(Map.of("SERVER_URL", "http://ota.local:8000", "API_KEY", "k"));
        env.putAll(more);
        return env;
    }
}
