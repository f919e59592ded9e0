package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.FileTrees;
import dev.javia.ota.server.testing.DashboardHttp;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.Nginx;
import dev.javia.ota.server.testing.SseEvents;
import dev.javia.ota.server.update.DeviceWaits;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.TestPropertySource;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator's example load balancer, {@code deploy/nginx/javia-ota.conf}, run by real nginx ({@link Nginx}: the
 * file as it is, but for its addresses) in front of two server instances over one database: A, this class's server,
 * and B, a second Spring context on a port of its own, both with {@code server.forward-headers-strategy=native} as
 * the example asks. Everything goes through nginx's port: the devices' calls land on both instances, an upload, a
 * ranged download, the dashboard's stream and a device's long poll arrive unbuffered, the server sees the client's
 * address and the address it used, and with an instance gone the GETs go on while no POST is done twice.
 */
@TestPropertySource(properties = {"server.forward-headers-strategy=native", "ota.push.hold=30s",
        "ota.max-package-size=1MB"})
class NginxTwoInstancesTests extends ApiTestSupport {

    /** How long anything the test waits for may take: far more than it does, so that a hang fails instead. */
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    /** What B (and the instances the failover tests start) runs with besides the database: A's own settings. */
    private static final Map<String, Object> AS_A = Map.of("server.forward-headers-strategy", "native",
            "ota.push.hold", "30s", "ota.max-package-size", "1MB");

    private static ConfigurableApplicationContext second;
    private static Nginx nginx;
    private static Path nginxDirectory;

    @Autowired
    MeterRegistry registry;
    @Autowired
    DeviceWaits waits;

    /** Through nginx: the only door the tests use, as the devices and the operators would. */
    private HttpApi balanced;

    @BeforeEach
    void bothInstancesBehindNginx() throws IOException {
        if (second == null) {
            second = startSecondInstance(AS_A);
        }
        if (nginx == null) {
            nginxDirectory = Files.createTempDirectory("ota-test-nginx");
            nginx = Nginx.start(nginxDirectory, "127.0.0.1:" + port, "127.0.0.1:" + portOf(second));
        }
        balanced = new HttpApi(nginx.url());
    }

    @AfterAll
    static void stopNginxAndTheSecondInstance() throws IOException {
        if (nginx != null) {
            nginx.close();
            nginx = null;
            FileTrees.delete(nginxDirectory, false);
        }
        if (second != null) {
            second.close();
            second = null;
        }
    }

    @Test
    void devicesRegisterHeartbeatAndCheckThroughNginxOnBothInstances() {
        double heartbeatsOnA = heartbeats(registry);
        double heartbeatsOnB = heartbeats(second.getBean(MeterRegistry.class));
        int logged = nginx.accessLog().size();

        List<TestDevice> fleet = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String uuid = newDeviceUuid();
            fleet.add(new TestDevice(uuid, balanced.register(ENROLLMENT, uuid, "Europe/Berlin", "v1.0.0")));
        }
        // the heartbeats one after the other (the balancer alternates between instances without requests open)
        for (TestDevice device : fleet) {
            HttpApi.Response heartbeat = balanced.post(ApiPaths.heartbeat(device.uuid()), device.token(),
                    Map.of("current_version", "v1.0.0"));
            assertThat(heartbeat.status()).as(heartbeat.toString()).isEqualTo(200);
        }
        for (TestDevice device : fleet) {
            HttpApi.Response check = balanced.get(ApiPaths.check(device.uuid()), device.token());
            assertThat(check.status()).as(check.toString()).isEqualTo(200);
            assertThat(check.json().get("update_available").asBoolean()).isFalse();
        }

        // each instance counted some of the heartbeats, and nginx's log names both as having answered
        double onA = heartbeats(registry) - heartbeatsOnA;
        double onB = heartbeats(second.getBean(MeterRegistry.class)) - heartbeatsOnB;
        assertThat(onA + onB).isEqualTo(4);
        assertThat(onA).as("heartbeats answered by A").isPositive();
        assertThat(onB).as("heartbeats answered by B").isPositive();
        // nginx writes a request's line once its answer is sent: the last one may come just after the answer
        await("12 lines in nginx's access log").atMost(PATIENCE).pollInterval(Duration.ofMillis(20))
                .until(() -> nginx.accessLog().size() >= logged + 12);
        List<String> lines = nginx.accessLog().subList(logged, nginx.accessLog().size());
        assertThat(lines).hasSize(12).allSatisfy(line -> assertThat(line).containsPattern("\" 20[01] "));
        assertThat(lines).anySatisfy(line -> assertThat(line).contains("upstream=127.0.0.1:" + port + " "))
                .anySatisfy(line -> assertThat(line).contains("upstream=127.0.0.1:" + portOf(second) + " "));
        // no secret in the log: the keys and tokens travel in a header
        assertThat(String.join("\n", lines)).doesNotContain(ENROLLMENT).doesNotContain(fleet.get(0).token());
    }

    @Test
    void anUploadThroughNginxIsPublishedAndDownloadedWholeAndInRanges() throws IOException {
        TestDevice device = registerThroughNginx();
        Path file = samplePackage("v1.1.0", UpdateType.URGENT, null);
        byte[] zip = Files.readAllBytes(file);
        Map<String, Object> form = form("v1.1.0", "urgent", null, null);
        form.put("package", file);

        HttpApi.Response published = balanced.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);

        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        String updateId = published.json().get("update").get("id").asText();
        HttpApi.Response check = balanced.get(ApiPaths.check(device.uuid()), device.token());
        assertThat(check.json().get("update").get("version").asText()).as(check.toString()).isEqualTo("v1.1.0");

        // twice each, so that both instances serve the package from the one store
        for (int i = 0; i < 2; i++) {
            HttpApi.Response whole = balanced.get(ApiPaths.download(updateId), device.token());
            assertThat(whole.status()).isEqualTo(200);
            assertThat(whole.bytes()).isEqualTo(zip);
            assertThat(whole.header("Accept-Ranges")).isEqualTo("bytes");

            int from = zip.length / 2;
            HttpApi.Response rest = balanced.get(ApiPaths.download(updateId), device.token(), "Range",
                    "bytes=" + from + "-");
            assertThat(rest.status()).as("a resumed download").isEqualTo(206);
            assertThat(rest.bytes()).isEqualTo(Arrays.copyOfRange(zip, from, zip.length));
            assertThat(rest.header("Content-Range")).isEqualTo("bytes " + from + "-" + (zip.length - 1) + "/"
                    + zip.length);
        }
    }

    @Test
    void aPackageOverTheServersLimitIsRefusedByTheServerThroughNginx() throws IOException {
        Path large = work.resolve("large.zip");
        byte[] bytes = new byte[2 * 1024 * 1024];
        new Random(17).nextBytes(bytes);
        Files.write(large, bytes);
        Map<String, Object> form = form("v1.2.0", "urgent", null, null);
        form.put("package", large);

        HttpApi.Response refused = balanced.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);

        // the server's answer, saying which setting, rather than nginx's page or a 502
        assertProblem(refused, 413, "OTA_MAX_PACKAGE_SIZE");
    }

    @Test
    void aDashboardStreamThroughNginxDeliversEachEventAtOnce() throws Exception {
        // the sign-in's form, its post and the overview land on both instances: the session is in the database
        DashboardHttp dashboard = new DashboardHttp(nginx.port());
        Session session = dashboard.signIn(ADMIN);
        try (SseEvents events = SseEvents.open(dashboard, "/events", session)) {
            assertThat(events.next()).isEqualTo("open");

            long registered = System.nanoTime();
            registerThroughNginx();
            events.until("fleet");

            // buffered, the event would wait for kilobytes more (keep-alives come every 20 s): it came with the change
            assertThat(Duration.ofNanos(System.nanoTime() - registered)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aDeviceWaitThroughNginxIsAnsweredWhenTheDeviceIsWoken() {
        TestDevice device = registerThroughNginx();
        String cursor = balanced.get(ApiPaths.check(device.uuid()), device.token()).json().get("push_cursor")
                .asText();
        DeviceWaits waitsOfB = second.getBean(DeviceWaits.class);
        int heldBefore = waits.held() + waitsOfB.held();
        CompletableFuture<HttpApi.Response> waiting = CompletableFuture.supplyAsync(() -> balanced.get(
                ApiPaths.deviceWait(device.uuid()) + "?cursor=" + cursor, device.token()));
        await("the wait held by one of the instances").atMost(PATIENCE).pollInterval(Duration.ofMillis(10))
                .until(() -> waits.held() + waitsOfB.held() == heldBefore + 1);

        Map<String, Object> form = form("v1.1.0", "urgent", null, device.uuid());
        form.put("package", samplePackage("v1.1.0", UpdateType.URGENT, null));
        long published = System.nanoTime();
        assertThat(balanced.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form).status()).isEqualTo(201);

        HttpApi.Response woken = waiting.orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join();
        assertThat(woken.status()).as(woken.toString()).isEqualTo(200);
        assertThat(woken.json().get("check_now").asBoolean()).as(woken.toString()).isTrue();
        // long before the 30 s hold: woken by the publish, and passed on by nginx at once
        assertThat(Duration.ofNanos(System.nanoTime() - published)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void theServerSeesTheClientsAddressNotOneTheClientNamed() throws IOException {
        String uuid = newDeviceUuid();
        String body = "{\"device_uuid\":\"" + uuid + "\",\"timezone\":\"UTC\",\"current_version\":\"v1.0.0\"}";

        // from 127.0.0.2 (nginx reaches the instances from 127.0.0.1), naming another address in X-Forwarded-For
        String answer = exchangeFrom("127.0.0.2", nginx.port(), "POST " + ApiPaths.REGISTER + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + nginx.port() + "\r\n"
                + "X-API-Key: " + ENROLLMENT + "\r\n"
                + "X-Forwarded-For: 203.0.113.9\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n"
                + "Connection: close\r\n\r\n" + body);

        assertThat(answer).startsWith("HTTP/1.1 201");
        assertThat(jdbc.queryForList("select address from audit_log where action = 'device.token_issued'"
                + " and target_id = ?", String.class, uuid)).containsExactly("127.0.0.2");
    }

    @Test
    void theServerWritesRedirectsAndCookiesForTheAddressTheClientUsed() throws Exception {
        // plain, on nginx's port: the sign-in page is named at nginx's address, not at the instance's
        HttpClient plain = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        HttpResponse<String> overview = plain.send(HttpRequest.newBuilder(URI.create(nginx.url() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(overview.statusCode()).isEqualTo(302);
        assertThat(overview.headers().firstValue("Location")).hasValue(nginx.url() + "/sign-in");

        // over TLS: an https address, and the session cookie marked Secure
        HttpClient tls = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .sslContext(trusting(nginx.certificate())).build();
        HttpResponse<String> secure = tls.send(HttpRequest.newBuilder(URI.create(nginx.tlsUrl() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(secure.statusCode()).isEqualTo(302);
        assertThat(secure.headers().firstValue("Location")).hasValue(nginx.tlsUrl() + "/sign-in");
        HttpResponse<String> form = tls.send(HttpRequest.newBuilder(URI.create(nginx.tlsUrl() + "/sign-in"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(form.statusCode()).isEqualTo(200);
        assertThat(form.headers().firstValue("Set-Cookie").orElse("")).contains("JAVIA_SESSION=")
                .containsIgnoringCase("; Secure");
        HttpResponse<String> plainForm = plain.send(HttpRequest.newBuilder(URI.create(nginx.url() + "/sign-in"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(plainForm.headers().firstValue("Set-Cookie").orElse("")).contains("JAVIA_SESSION=")
                .doesNotContainIgnoringCase("secure");

        // and in HTTP/2, which the JDK's client offers and may now and then not settle on: one of a few fresh clients
        List<HttpClient.Version> versions = new ArrayList<>();
        for (int i = 0; i < 3 && !versions.contains(HttpClient.Version.HTTP_2); i++) {
            HttpClient fresh = HttpClient.newBuilder().sslContext(trusting(nginx.certificate())).build();
            versions.add(fresh.send(HttpRequest.newBuilder(URI.create(nginx.tlsUrl() + "/sign-in")).build(),
                    HttpResponse.BodyHandlers.discarding()).version());
        }
        assertThat(versions).contains(HttpClient.Version.HTTP_2);
    }

    @Test
    void theScrapeIsNotOfferedThroughTheBalancer() {
        assertThat(balanced.get("/actuator/prometheus", null).status()).isEqualTo(404);
        assertThat(balanced.get("/actuator/health", null).status()).isEqualTo(200);
    }

    /**
     * An instance stopped (a third one, C, behind a second nginx with A, so that B stays for the other tests): the
     * GETs go on through A, and every POST is done once. nginx found C's port closed before it sent anything, and
     * passed each of those on to A; no POST was lost or repeated.
     */
    @Test
    void withOneInstanceStoppedTheOtherAnswersAndEachPostIsDoneOnce() throws IOException {
        ConfigurableApplicationContext third = startSecondInstance(AS_A);
        int thirdPort = portOf(third);
        try (Nginx pair = Nginx.start(Files.createDirectories(work.resolve("nginx")), "127.0.0.1:" + port,
                "127.0.0.1:" + thirdPort)) {
            HttpApi through = new HttpApi(pair.url());
            TestDevice device = registerThrough(through);
            for (int i = 0; i < 4; i++) {
                assertThat(through.get(ApiPaths.check(device.uuid()), device.token()).status()).isEqualTo(200);
            }
            await("C answered before it stopped").atMost(PATIENCE).pollInterval(Duration.ofMillis(20)).until(() ->
                    pair.accessLog().stream().anyMatch(line -> line.contains("upstream=127.0.0.1:" + thirdPort + " ")));

            third.close();

            // POSTs first: after three refused connections within 10 s nginx leaves C out (max_fails)
            List<String> registered = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                registered.add(registerThrough(through).uuid());
            }
            for (String uuid : registered) {
                assertThat(jdbc.queryForObject("select count(*) from audit_log where action = 'device.token_issued'"
                        + " and target_id = ?", Integer.class, uuid)).as("registrations of " + uuid).isEqualTo(1);
            }
            for (int i = 0; i < 6; i++) {
                HttpApi.Response check = through.get(ApiPaths.check(device.uuid()), device.token());
                assertThat(check.status()).as(check.toString()).isEqualTo(200);
            }
            // nginx tried C, found it closed, and passed the request on: "upstream=C, A"
            assertThat(pair.accessLog()).anySatisfy(line -> assertThat(line).contains("POST " + ApiPaths.REGISTER)
                    .contains("upstream=127.0.0.1:" + thirdPort + ", 127.0.0.1:" + port + " "));
        } finally {
            third.close();
        }
    }

    /**
     * An instance that takes a request and dies before it answers (here a socket that reads the request and closes):
     * a GET it dropped is answered by the other instance; a POST it dropped is answered 502, and the other instance
     * never saw it (the device was not registered), since the first may have done it.
     */
    @Test
    void aPostThatReachedAnInstanceIsNeverTriedOnAnother() throws IOException {
        try (DroppingUpstream dropping = DroppingUpstream.start();
             Nginx pair = Nginx.start(Files.createDirectories(work.resolve("nginx")), "127.0.0.1:" + port,
                     "127.0.0.1:" + dropping.port())) {
            HttpApi through = new HttpApi(pair.url());
            TestDevice device = register("Europe/Berlin"); // on A: through nginx the POST could be dropped
            int dropped = dropping.requests().size();
            // until one GET has gone to the dropping instance first (a few: the balancer alternates)
            for (int i = 0; i < 4 && dropping.requests().size() == dropped; i++) {
                HttpApi.Response check = through.get(ApiPaths.check(device.uuid()), device.token());
                assertThat(check.status()).as("a GET, dropped or not").isEqualTo(200);
            }
            assertThat(dropping.requests()).as("the GET that was dropped").hasSize(dropped + 1);
            assertThat(dropping.requests().get(dropped)).startsWith("GET ");

            Map<String, HttpApi.Response> answers = new LinkedHashMap<>();
            for (int i = 0; i < 4 && dropping.requests().size() == dropped + 1; i++) {
                String uuid = newDeviceUuid();
                answers.put(uuid, through.post(ApiPaths.REGISTER, ENROLLMENT, Map.of("device_uuid", uuid,
                        "timezone", "UTC", "current_version", "v1.0.0")));
            }
            assertThat(dropping.requests()).as("the POST that was dropped").hasSize(dropped + 2);
            assertThat(dropping.requests().get(dropped + 1)).startsWith("POST " + ApiPaths.REGISTER);
            String lost = answers.keySet().stream().reduce((a, b) -> b).orElseThrow();
            assertThat(answers.get(lost).status()).as(answers.get(lost).toString()).isEqualTo(502);
            assertThat(jdbc.queryForObject("select count(*) from devices where device_uuid = ?", Integer.class,
                    lost)).as("the dropped registration, on A").isZero();
            answers.forEach((uuid, answer) -> {
                if (!uuid.equals(lost)) {
                    assertThat(answer.status()).as(answer.toString()).isEqualTo(201);
                }
            });
        }
    }

    private TestDevice registerThroughNginx() {
        return registerThrough(balanced);
    }

    private static TestDevice registerThrough(HttpApi through) {
        String uuid = newDeviceUuid();
        return new TestDevice(uuid, through.register(ENROLLMENT, uuid, "Europe/Berlin", "v1.0.0"));
    }

    private static int portOf(ConfigurableApplicationContext context) {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    private static double heartbeats(MeterRegistry registry) {
        var counter = registry.find("ota.checkins").tag("kind", "heartbeat").counter();
        return counter == null ? 0 : counter.count();
    }

    /** One request on a connection from {@code from} (a loopback address), and the whole answer. */
    private static String exchangeFrom(String from, int port, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
            socket.setSoTimeout((int) PATIENCE.toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A client context that trusts the one certificate nginx presents. */
    private static SSLContext trusting(Path certificate) throws Exception {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream pem = Files.newInputStream(certificate)) {
            trusted.setCertificateEntry("nginx", CertificateFactory.getInstance("X.509").generateCertificate(pem));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /**
     * An instance that dies with each request: it accepts the connection, reads the request's head, and closes
     * without an answer. It records each request line.
     */
    private static final class DroppingUpstream implements AutoCloseable {

        private final ServerSocket socket;
        private final List<String> requests = new CopyOnWriteArrayList<>();

        private DroppingUpstream(ServerSocket socket) {
            this.socket = socket;
            Thread acceptor = new Thread(this::serve, "dropping-upstream");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        static DroppingUpstream start() throws IOException {
            return new DroppingUpstream(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        }

        int port() {
            return socket.getLocalPort();
        }

        List<String> requests() {
            return requests;
        }

        private void serve() {
            while (!socket.isClosed()) {
                try (Socket connection = socket.accept()) {
                    connection.setSoTimeout(5_000);
                    BufferedReader head = new BufferedReader(new InputStreamReader(connection.getInputStream(),
                            StandardCharsets.ISO_8859_1));
                    String requestLine = head.readLine();
                    // the whole head, as an instance reads it before it works on the request
                    String line = requestLine;
                    while (line != null && !line.isEmpty()) {
                        line = head.readLine();
                    }
                    if (requestLine != null) {
                        requests.add(requestLine);
                    }
                } catch (IOException e) {
                    // closed by the test, or nginx gave up on this connection
                }
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
