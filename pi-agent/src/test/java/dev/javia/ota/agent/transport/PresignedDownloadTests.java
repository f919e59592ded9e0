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
}
