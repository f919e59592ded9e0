package dev.javia.ota.agent.transport;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.S3Server;
import dev.javia.ota.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's download against the real server with its packages in an S3 bucket (s3proxy, signatures checked):
 * the server answers with a redirect to a presigned URL, which the agent follows, and resumes on, without its token.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PresignedDownloadTests {

    private Path work;
    private S3Server s3;
    private TestServer server;

    @BeforeAll
    void start(@TempDir Path directory) {
        work = directory;
        s3 = S3Server.start(directory.resolve("s3"));
        s3.createBucket("update-packages");
        server = TestServer.start(s3.settings("update-packages"));
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void theAgentFetchesThePackageFromTheStoreAndResumesThere() throws IOException {
        HttpApi api = server.api();
        String uuid = UUID.randomUUID().toString();
        String token = api.register(server.enrollmentKey(), uuid, "UTC", "v1.0.0");
        Path file = PackageBuilder.samplePackage(Files.createTempDirectory(work, "pkg"), Version.parse("v1.1.0"),
                UpdateType.URGENT, List.of());
        byte[] zip = Files.readAllBytes(file);
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("version", "v1.1.0");
        form.put("description", "through the bucket");
        form.put("update_type", "urgent");
        form.put("package", file);
        HttpApi.Response created = api.multipart(ApiPaths.CREATE_UPDATE, server.adminKey(), form);
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        String id = created.json().get("update").get("id").asText();
        assertThat(api.get(ApiPaths.download(id), token).status()).as("the server redirects").isEqualTo(302);
        String sha256 = Sha256.of(zip);
        ServerClient client = new ServerClient(URI.create(server.baseUrl()), Duration.ofSeconds(10));

        Path whole = work.resolve("whole.part");
        assertThat(client.download(ApiPaths.download(id), sha256, zip.length, whole, token, bytes -> { }))
                .isEqualTo(zip.length);
        assertThat(Files.readAllBytes(whole)).isEqualTo(zip);

        Path resumed = work.resolve("resumed.part");
        Files.write(resumed, Arrays.copyOfRange(zip, 0, zip.length / 3));
        assertThat(client.download(ApiPaths.download(id), sha256, zip.length, resumed, token, bytes -> { }))
                .isEqualTo(zip.length);
        assertThat(Files.readAllBytes(resumed)).isEqualTo(zip);
    }

    /**
     * The store resumes where the part ends: its answer is a 206 from there, not the whole package again. The part's
     * bytes are marked (not the package's), so that a download started again from zero would show. The agent's
     * If-Range names the package's SHA-256, the server's ETag; the store's ETag is its own, so the agent does not
     * send it there (a store that honours If-Range would answer every resume with the whole package). What protects
     * a resume on the store is the package's SHA-256, checked before anything is unpacked.
     */
    @Test
    void aResumeOnTheStoreFetchesOnlyTheRest() throws IOException {
        HttpApi api = server.api();
        String uuid = UUID.randomUUID().toString();
        String token = api.register(server.enrollmentKey(), uuid, "UTC", "v1.0.0");
        Path file = PackageBuilder.samplePackage(Files.createTempDirectory(work, "pkg"), Version.parse("v1.2.0"),
                UpdateType.URGENT, List.of());
        byte[] zip = Files.readAllBytes(file);
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("version", "v1.2.0");
        form.put("description", "resumed on the store");
        form.put("update_type", "urgent");
        form.put("package", file);
        HttpApi.Response created = api.multipart(ApiPaths.CREATE_UPDATE, server.adminKey(), form);
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        String id = created.json().get("update").get("id").asText();
        ServerClient client = new ServerClient(URI.create(server.baseUrl()), Duration.ofSeconds(10));

        Path part = work.resolve("marked.part");
        byte[] marked = new byte[zip.length / 3];
        Arrays.fill(marked, (byte) 'x');
        Files.write(part, marked);
        assertThat(client.download(ApiPaths.download(id), Sha256.of(zip), zip.length, part, token, bytes -> { }))
                .isEqualTo(zip.length);

        byte[] got = Files.readAllBytes(part);
        assertThat(Arrays.copyOfRange(got, 0, marked.length)).as("the part's bytes kept").isEqualTo(marked);
        assertThat(Arrays.copyOfRange(got, marked.length, got.length))
                .isEqualTo(Arrays.copyOfRange(zip, marked.length, zip.length));
    }
}
