package dev.javia.ota.agent.transport;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.RegisterDevice;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Redirects are followed by hand: the device's key ({@code X-API-Key}) reaches only the server's origin (scheme, host
 * and port). Two real loopback servers: the server, and a package store on another port.
 */
class RedirectTests {

    private final MockWebServer server = new MockWebServer();
    private final MockWebServer store = new MockWebServer();
    private final List<Instant> serverDates = new ArrayList<>();
    private ServerClient client;

    @BeforeEach
    void start() throws IOException {
        server.start();
        store.start();
        client = new ServerClient(URI.create(server.url("/").toString()), Duration.ofSeconds(5), serverDates::add);
    }

    @AfterEach
    void stop() {
        server.close();
        store.close();
    }

    @Test
    void aDownloadRedirectedToAPackageStoreReachesItWithoutTheKey(@TempDir Path dir) throws Exception {
        String presigned = store.url("/bucket/update_v1.2.3.zip?X-Amz-Signature=abc").toString();
        server.enqueue(redirect(302, presigned));
        store.enqueue(new MockResponse.Builder().code(200).body("zip bytes").build());

        long size = client.download("/api/v1/updates/42/download", "abc", 9, dir.resolve("pkg.zip"), "tok", b -> {
        });

        assertThat(size).isEqualTo(9);
        assertThat(Files.readString(dir.resolve("pkg.zip"))).isEqualTo("zip bytes");
        assertThat(take(server).getHeaders().get(ApiPaths.API_KEY_HEADER)).isEqualTo("tok");
        RecordedRequest atStore = take(store);
        assertThat(atStore.getUrl().toString()).isEqualTo(presigned);
        assertThat(atStore.getHeaders().get(ApiPaths.API_KEY_HEADER)).isNull();
    }

    @Test
    void aResumedDownloadKeepsItsRangeAtTheStore(@TempDir Path dir) throws Exception {
        Path part = Files.writeString(dir.resolve("pkg.zip"), "zip ");
        server.enqueue(redirect(307, store.url("/bucket/pkg.zip").toString()));
        store.enqueue(new MockResponse.Builder().code(206).setHeader("Content-Range", "bytes 4-8/9").body("bytes")
                .build());

        client.download("/api/v1/updates/42/download", "abc", 9, part, "tok", b -> {
        });

        assertThat(Files.readString(part)).isEqualTo("zip bytes");
        assertThat(take(server).getHeaders().get("If-Range")).as("the server's ETag").isEqualTo("\"abc\"");
        RecordedRequest atStore = take(store);
        assertThat(atStore.getHeaders().get("Range")).isEqualTo("bytes=4-");
        assertThat(atStore.getHeaders().get(ApiPaths.API_KEY_HEADER)).isNull();
        // the store's ETag is not the package's SHA-256: sent there, a store that honours If-Range would answer
        // every resume with the whole package
        assertThat(atStore.getHeaders().get("If-Range")).isNull();
    }

    @Test
    void aRedirectWithinTheServerKeepsTheKey(@TempDir Path dir) throws Exception {
        server.enqueue(redirect(301, "/files/update_v1.2.3.zip"));
        server.enqueue(new MockResponse.Builder().code(200).body("zip").build());

        client.download("/api/v1/updates/42/download", "abc", 3, dir.resolve("pkg.zip"), "tok", b -> {
        });

        take(server);
        RecordedRequest second = take(server);
        assertThat(second.getUrl().encodedPath()).isEqualTo("/files/update_v1.2.3.zip");
        assertThat(second.getHeaders().get(ApiPaths.API_KEY_HEADER)).isEqualTo("tok");
    }

    @Test
    void aKeyDroppedOnLeavingTheServerIsNotPutBackWhenARedirectReturnsToIt(@TempDir Path dir) throws Exception {
        server.enqueue(redirect(302, store.url("/hop").toString()));
        store.enqueue(redirect(302, server.url("/api/v1/updates/42/download?again").toString()));
        server.enqueue(new MockResponse.Builder().code(200).body("zip").build());

        client.download("/api/v1/updates/42/download", "abc", 3, dir.resolve("pkg.zip"), "tok", b -> {
        });

        assertThat(take(server).getHeaders().get(ApiPaths.API_KEY_HEADER)).isEqualTo("tok");
        assertThat(take(store).getHeaders().get(ApiPaths.API_KEY_HEADER)).isNull();
        assertThat(take(server).getHeaders().get(ApiPaths.API_KEY_HEADER)).isNull();
    }

    @Test
    void anotherPortOnTheSameHostIsAnotherOrigin(@TempDir Path dir) throws Exception {
        assertThat(store.url("/").host()).isEqualTo(server.url("/").host());
        server.enqueue(redirect(302, store.url("/pkg.zip").toString()));
        store.enqueue(new MockResponse.Builder().code(200).body("zip").build());

        client.download("/api/v1/updates/42/download", "abc", 3, dir.resolve("pkg.zip"), "tok", b -> {
        });

        take(server);
        assertThat(take(store).getHeaders().get(ApiPaths.API_KEY_HEADER)).isNull();
    }

    @Test
    void moreThanFiveRedirectsAreRefused(@TempDir Path dir) {
        for (int i = 0; i <= ServerClient.MAX_REDIRECTS; i++) {
            server.enqueue(redirect(302, "/loop/" + i));
        }

        assertThatThrownBy(() -> client.download("/api/v1/updates/42/download", "abc", 3, dir.resolve("pkg.zip"),
                "tok", b -> {
                })).isInstanceOf(ServerRejectedException.class).hasMessageContaining("redirected more than 5 times");
        assertThat(server.getRequestCount()).isEqualTo(ServerClient.MAX_REDIRECTS + 1);
    }

    @Test
    void anApiCallRedirectedElsewhereLosesTheKeyAndItsDateIsNotTheServers() throws Exception {
        server.enqueue(redirect(307, store.url("/elsewhere/heartbeat").toString()));
        store.enqueue(new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .setHeader("Date", "Sun, 01 Jun 2025 12:04:59 GMT")
                .body("{\"device_uuid\":\"u\",\"status\":\"online\"}").build());

        client.heartbeat("u", new Heartbeat("v1.0.0", null, null), "tok");

        take(server);
        RecordedRequest atStore = take(store);
        assertThat(atStore.getMethod()).as("307 keeps the method and the body").isEqualTo("POST");
        assertThat(atStore.getBody().utf8()).contains("v1.0.0");
        assertThat(atStore.getHeaders().get(ApiPaths.API_KEY_HEADER)).isNull();
        assertThat(serverDates).as("another origin's clock is not the server's").isEmpty();
    }

    @Test
    void theEnrollmentKeyNeverFollowsARegistrationRedirectedElsewhere() throws Exception {
        server.enqueue(redirect(308, store.url("/api/v1/devices/register").toString()));
        store.enqueue(new MockResponse.Builder().code(401).build());

        assertThatThrownBy(() -> client.register(new RegisterDevice("u", "pi", "UTC", "v1.0.0", Map.of()),
                "enroll-me")).isInstanceOf(ServerRejectedException.class);

        assertThat(take(server).getHeaders().get(ApiPaths.API_KEY_HEADER)).isEqualTo("enroll-me");
        assertThat(take(store).getHeaders().get(ApiPaths.API_KEY_HEADER)).isNull();
    }

    private static RecordedRequest take(MockWebServer on) throws InterruptedException {
        RecordedRequest request = on.takeRequest(5, TimeUnit.SECONDS);
        assertThat(request).as("a request").isNotNull();
        return request;
    }

    private static MockResponse redirect(int code, String location) {
        return new MockResponse.Builder().code(code).setHeader("Location", location).build();
    }
}
