package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.server.testing.HttpApi;
import org.apache.tomcat.util.threads.ThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.test.context.TestPropertySource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients that send their request slowly, on raw sockets: the head and body deadlines close them, and free the
 * request threads a slow body holds (two threads here, so that two slow uploads would take them all).
 */
@TestPropertySource(properties = {
        "ota.connections.header-timeout=2s",
        "ota.connections.body-timeout=2s",
        "ota.connections.body-min-rate=4KB",
        "server.tomcat.threads.max=2",
        "server.tomcat.threads.min-spare=1",
        // a context of its own: few database connections, PostgreSQL is shared
        "spring.datasource.hikari.maximum-pool-size=2"})
class SlowClientTests extends ApiTestSupport {

    private static final Duration CLOSED_WITHIN = Duration.ofSeconds(20);

    @Autowired
    WebServerApplicationContext context;

    SlowClients clients;

    @BeforeEach
    void clients() {
        clients = new SlowClients(port);
    }

    @AfterEach
    void closeClients() {
        clients.close();
    }

    @Test
    void aRequestHeadSentAByteAtATimeIsAnswered408AndClosedAfterTheHeaderTimeout() {
        SlowClients.Connection slow = clients.dribbleHead("/actuator/health/liveness", Duration.ofMillis(200));

        String answer = slow.answerUntilClosed(CLOSED_WITHIN);

        assertThat(answer).startsWith("HTTP/1.1 408 ").contains("Content-Type: application/problem+json")
                .contains("\"status\":408").contains("within 2 s");
    }

    @Test
    void aSilentConnectionIsClosedAfterTheHeaderTimeout() {
        SlowClients.Connection silent = clients.open("", new byte[0], 1, Duration.ofSeconds(1));

        assertThat(silent.answerUntilClosed(CLOSED_WITHIN)).isEmpty();
    }

    @Test
    void slowUploadsAreCutOffAndGiveTheirRequestThreadsBack() throws IOException {
        List<SlowClients.Connection> slow = List.of(slowUpload("v1.1.0"), slowUpload("v1.2.0"));
        await().atMost(Duration.ofSeconds(10)).until(() -> busyRequestThreads() == 2);

        HttpApi.Response other = api.get("/actuator/health/liveness", null);

        assertThat(other.status()).as(other.toString()).isEqualTo(200);
        for (SlowClients.Connection upload : slow) {
            String answer = upload.answerUntilClosed(CLOSED_WITHIN);
            // the 408 is sent, but a client still sending may see the close first
            if (!answer.isEmpty()) {
                assertThat(answer).startsWith("HTTP/1.1 408 ");
            }
            assertThat(upload.sent()).as("bytes the slow upload sent").isLessThan(20_000);
        }
        assertThat(jdbc.queryForObject("select count(*) from updates", Integer.class)).isZero();
    }

    @Test
    void anUploadAtASteadyRateIsNotCutOff() throws IOException {
        // 256 KiB at 64 KiB/s: twice the body timeout, at sixteen times the minimum rate
        String boundary = "----ota-test-" + UUID.randomUUID();
        byte[] body = uploadBody(boundary, "v1.3.0", 256 * 1024);

        SlowClients.Connection upload = clients.open(uploadHead(boundary, body.length, ADMIN), body, 16 * 1024,
                Duration.ofMillis(250));

        assertThat(upload.answerUntilClosed(Duration.ofSeconds(60))).startsWith("HTTP/1.1 201 ");
        assertThat(jdbc.queryForObject("select count(*) from updates", Integer.class)).isOne();
    }

    @Test
    void aDownloadToASlowReaderIsNotCutOff() throws IOException {
        // 12 MiB read at about 2.5 MB/s: several header and body timeouts, with the server's writes waiting
        HttpApi.Response published = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, largePackage("v1.4.0",
                12 * 1024 * 1024));
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        String id = published.json().get("update").get("id").asText();
        long size = published.json().get("update").get("size_bytes").asLong();

        byte[] answer = clients.readSlowly("GET " + ApiPaths.download(id) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + ApiPaths.API_KEY_HEADER + ": " + ADMIN + "\r\nConnection: close\r\n\r\n", 64 * 1024,
                Duration.ofMillis(25), Duration.ofSeconds(60));

        assertThat(new String(answer, 0, 16, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200 ");
        assertThat(answer.length).isGreaterThan((int) size);
    }

    @Test
    void anUploadWithoutAKeyIsRefusedBeforeItsBodyAndNotWaitedFor() {
        // the head announces 100 MB and no byte of it follows: the 401 comes at once, and the connection is not
        // kept while Tomcat waits to swallow a body that never comes
        SlowClients.Connection upload = clients.open(uploadHead("x", 100_000_000, null), new byte[0], 1,
                Duration.ofSeconds(1));

        String answer = upload.answerUntilClosed(CLOSED_WITHIN);

        assertThat(answer).startsWith("HTTP/1.1 401 ");
    }

    private SlowClients.Connection slowUpload(String version) throws IOException {
        String boundary = "----ota-test-" + UUID.randomUUID();
        byte[] body = uploadBody(boundary, version, 40 * 1024);
        // 100 bytes every 100 ms: 1 KB/s, a quarter of the minimum rate
        return clients.open(uploadHead(boundary, body.length, ADMIN), body, 100, Duration.ofMillis(100));
    }

    /** The multipart body of a valid package holding {@code size} bytes that do not compress. */
    private byte[] uploadBody(String boundary, String version, int size) throws IOException {
        return HttpApi.multipartBody(boundary, largePackage(version, size));
    }

    /** The publishing form of a valid package holding {@code size} bytes that do not compress. */
    private Map<String, Object> largePackage(String version, int size) throws IOException {
        Path source = Files.createDirectories(work.resolve("source-" + version));
        byte[] noise = new byte[size];
        new Random(size).nextBytes(noise);
        Files.write(source.resolve("model.bin"), noise);
        Path zip = work.resolve("update_" + version + ".zip");
        PackageBuilder.buildFile(source, Version.parse(version), UpdateType.SCHEDULED, "a large update", List.of(),
                Instant.parse("2025-01-01T00:00:00Z"), zip);
        Map<String, Object> form = form(version, "scheduled", null, null);
        form.put("package", zip);
        return form;
    }

    private static String uploadHead(String boundary, long length, String key) {
        return "POST " + ApiPaths.CREATE_UPDATE + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + (key == null ? "" : ApiPaths.API_KEY_HEADER + ": " + key + "\r\n")
                + "Content-Type: multipart/form-data; boundary=" + boundary + "\r\nContent-Length: " + length
                + "\r\n\r\n";
    }

    private int busyRequestThreads() {
        TomcatWebServer server = (TomcatWebServer) context.getWebServer();
        return ((ThreadPoolExecutor) server.getTomcat().getConnector().getProtocolHandler().getExecutor())
                .getActiveCount();
    }
}
