package dev.javia.ota.server;

import dev.javia.ota.protocol.trust.Ed25519Keys;
import dev.javia.ota.server.testing.TestDatabaseInitializer;
import dev.javia.ota.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A publisher key that does not read, or signed packages required with no key, stops the start with one short
 * report naming the variable, before the server tries its database (here a port where nothing listens: reaching it
 * would report PostgreSQL instead).
 */
@ExtendWith(OutputCaptureExtension.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PublisherKeysStartupTests {

    @TempDir
    Path storage;

    @Test
    void aPublisherKeyThatDoesNotReadStopsTheStartAndNamesTheVariable(CapturedOutput output) {
        Map<String, Object> settings = settings();
        settings.put("ota.publisher-keys", Ed25519Keys.text(Ed25519Keys.generate().getPublic()) + ",ed25519:AAAA");

        String report = refusedStart(output, settings);

        assertThat(report).contains("The server's publisher keys are not usable")
                .contains("OTA_PUBLISHER_KEYS entry 2: public key 'ed25519:AAAA' holds 3 bytes")
                .contains("the line of a .pub file").doesNotContain("PostgreSQL");
    }

    @Test
    void requiringSignedPackagesWithoutKeysStopsTheStart(CapturedOutput output) {
        Map<String, Object> settings = settings();
        settings.put("ota.require-signed-packages", "true");

        String report = refusedStart(output, settings);

        assertThat(report).contains("OTA_REQUIRE_SIGNED_PACKAGES is true but OTA_PUBLISHER_KEYS names no key")
                .doesNotContain("PostgreSQL");
    }

    private Map<String, Object> settings() {
        Map<String, Object> settings = TestDatabaseInitializer.settings("jdbc:postgresql://127.0.0.1:" + closedPort()
                + "/javia_ota", "javia_ota", "", storage);
        settings.put("server.port", "0");
        return settings;
    }

    private static String refusedStart(CapturedOutput output, Map<String, Object> settings) {
        assertThatThrownBy(() -> TestServer.run(settings).close()).isInstanceOf(RuntimeException.class);
        String all = output.getAll();
        int report = all.indexOf("APPLICATION FAILED TO START");
        assertThat(report).as("Spring Boot's failure report in:%n%s", all).isNotNegative();
        assertThat(all).as("no stack trace in the output").doesNotContain("\tat ").doesNotContain("Caused by");
        return all.substring(report).replace(System.lineSeparator(), "\n");
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
