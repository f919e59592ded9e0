package dev.javia.ota.agent.transport;

import dev.javia.ota.protocol.api.Heartbeat;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code SERVER_CA_FILE} against a real TLS server on loopback, whose certificate a CA made here (with the JDK's
 * keytool) signed: that CA pinned connects; another CA pinned, or none (the system's store), is refused.
 */
class ServerTrustTests {

    private static final String PASSWORD = "test-pass";

    @TempDir
    static Path pki;
    private static Path caPem;
    private static Path otherCaPem;
    private static Path serverKeystore;

    private final MockWebServer server = new MockWebServer();

    @BeforeAll
    static void makeCertificates() throws Exception {
        Path ca = pki.resolve("ca.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Test Fleet CA",
                "-ext", "bc:c", "-validity", "2", "-keystore", ca.toString());
        caPem = pki.resolve("ca.pem");
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-file", caPem.toString());

        serverKeystore = pki.resolve("server.p12");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=localhost", "-validity", "2", "-keystore", serverKeystore.toString());
        Path csr = pki.resolve("server.csr");
        keytool("-certreq", "-alias", "server", "-keystore", serverKeystore.toString(), "-file", csr.toString());
        Path signed = pki.resolve("server.pem");
        keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-infile", csr.toString(), "-outfile",
                signed.toString(), "-rfc", "-validity", "2", "-ext", "san=ip:127.0.0.1,dns:localhost", "-ext",
                "eku=serverAuth");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore",
                serverKeystore.toString());
        keytool("-importcert", "-noprompt", "-alias", "server", "-file", signed.toString(), "-keystore", serverKeystore.toString());

        Path other = pki.resolve("other-ca.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Other CA",
                "-ext", "bc:c", "-validity", "2", "-keystore", other.toString());
        otherCaPem = pki.resolve("other-ca.pem");
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", other.toString(), "-file", otherCaPem.toString());
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("keytool %s: %s", args[0], output).isZero();
    }

    @BeforeEach
    void startTls() throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(serverKeystore)) {
            keys.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(keys, PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(factory.getKeyManagers(), null, null);
        server.useHttps(context.getSocketFactory());
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private ServerClient pinned(Path caFile) {
        return new ServerClient(URI.create(server.url("/").toString()), Duration.ofSeconds(5), date -> {
        }, caFile);
    }

    @Test
    void theServersCaPinnedConnects() throws Exception {
        assertThat(server.url("/").isHttps()).isTrue();
        server.enqueue(new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .body("{\"device_uuid\":\"u\",\"status\":\"online\"}").build());

        pinned(caPem).heartbeat("u", new Heartbeat("v1.0.0", null, null), "tok");

        assertThat(server.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("X-API-Key")).isEqualTo("tok");
    }

    @Test
    void anotherCaPinnedIsRefusedSayingSo() {
        assertThatThrownBy(() -> pinned(otherCaPem).heartbeat("u", new Heartbeat("v1.0.0", null, null), "tok"))
                .isInstanceOf(ServerUnavailableException.class)
                .hasMessageContaining("does not chain to a CA in SERVER_CA_FILE " + otherCaPem);
        assertThat(server.getRequestCount()).as("nothing was sent").isZero();
    }

    @Test
    void withoutAPinnedCaTheSystemsStoreRefusesAPrivateCaAndSaysWhatToSet() {
        ServerClient system = new ServerClient(URI.create(server.url("/").toString()), Duration.ofSeconds(5));

        assertThatThrownBy(() -> system.heartbeat("u", new Heartbeat("v1.0.0", null, null), "tok"))
                .isInstanceOf(ServerUnavailableException.class)
                .hasMessageContaining("set SERVER_CA_FILE");
    }

    @Test
    void aFileOfSeveralCasTrustsEachOfThem() throws Exception {
        Path both = Files.writeString(pki.resolve("both.pem"), Files.readString(otherCaPem) + Files.readString(caPem));
        server.enqueue(new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .body("{\"device_uuid\":\"u\",\"status\":\"online\"}").build());

        pinned(both).heartbeat("u", new Heartbeat("v1.0.0", null, null), "tok");

        assertThat(ServerTrust.load(both).certificates()).isEqualTo(2);
    }

    @Test
    void aRedirectFromHttpsToHttpIsRefused(@TempDir Path dir) throws Exception {
        try (MockWebServer plain = new MockWebServer()) {
            plain.start();
            server.enqueue(new MockResponse.Builder().code(302)
                    .setHeader("Location", plain.url("/bucket/pkg.zip").toString()).build());

            assertThatThrownBy(() -> pinned(caPem).download("/api/v1/updates/42/download", "abc", 3,
                    dir.resolve("pkg.zip"), "tok", b -> {
                    })).isInstanceOf(ServerRejectedException.class).hasMessageContaining("from HTTPS to http://");
            assertThat(plain.getRequestCount()).isZero();
        }
    }

    @Test
    void aMissingCaFileStopsTheStart(@TempDir Path dir) {
        Path missing = dir.resolve("ca.pem");

        assertThatThrownBy(() -> pinned(missing)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SERVER_CA_FILE " + missing + " does not exist");
    }

    @Test
    void aCaFileThatCannotBeReadStopsTheStart(@TempDir Path dir) throws IOException {
        Path directory = Files.createDirectory(dir.resolve("ca.pem"));

        assertThatThrownBy(() -> pinned(directory)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot read SERVER_CA_FILE " + directory);
    }

    @Test
    void aCaFileWithoutAPemCertificateStopsTheStart(@TempDir Path dir) throws IOException {
        Path key = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        Path der = Files.write(dir.resolve("ca.der"), new byte[] {0x30, 0x03, 0x02, 0x01, 0x01});

        assertThatThrownBy(() -> pinned(key)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("holds no PEM certificate");
        assertThatThrownBy(() -> pinned(der)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("holds no PEM certificate");
    }

    @Test
    void aDamagedPemCertificateStopsTheStart(@TempDir Path dir) throws IOException {
        Path damaged = Files.writeString(dir.resolve("ca.pem"),
                "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n");

        assertThatThrownBy(() -> pinned(damaged)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is not a readable PEM certificate");
    }
}
