package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.DebianPackageNames;
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
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Packages in an S3 bucket (s3proxy, a real S3-protocol server checking signatures, in Supabase Storage's path
 * shape), published through the HTTP API: the device is sent to a presigned URL, or the server streams the object;
 * a store the server cannot use stops its start with what to fix.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(OutputCaptureExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class S3StorageTests {

    private Path work;
    /** Each publication a newer version than the last, whichever order the tests run in. */
    private final java.util.concurrent.atomic.AtomicInteger minor = new java.util.concurrent.atomic.AtomicInteger();
    private S3Server s3;
    private TestServer redirecting;
    private TestServer proxying;

    @BeforeAll
    void startStoreAndServers(@TempDir Path directory) {
        work = directory;
        s3 = S3Server.start(work.resolve("s3"));
        s3.createBucket("update-packages");
        s3.createBucket("proxied");
        // as the seed configures it: SUPABASE_URL gives the endpoint (its /storage/v1/s3), the bucket is the default
        Map<String, Object> supabase = s3.settings("update-packages");
        supabase.remove("ota.storage.s3-endpoint");
        supabase.remove("ota.storage.s3-bucket");
        supabase.put("ota.storage.supabase-url", s3.origin());
        redirecting = TestServer.start(supabase);
        Map<String, Object> proxied = s3.settings("proxied");
        proxied.put("ota.storage.s3-downloads", "proxy");
        proxying = TestServer.start(proxied);
    }

    @AfterAll
    void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {proxying, redirecting, s3}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception ignored) {
                // the others still stop
            }
        }
    }

    @Test
    void aDeviceIsSentToAPresignedUrlThatServesThePackageAndItsRanges() throws IOException {
        HttpApi api = redirecting.api();
        String token = api.register(redirecting.enrollmentKey(), ApiTestSupport.newDeviceUuid(), "UTC", "v1.0.0");
        String version = nextVersion();
        Path file = samplePackage(version);
        byte[] zip = Files.readAllBytes(file);
        String id = publish(api, redirecting.adminKey(), version, file);

        HttpApi.Response answer = api.get(ApiPaths.download(id), token);

        assertThat(answer.status()).as("%s", answer).isEqualTo(302);
        assertThat(answer.header("Cache-Control")).isEqualTo("no-store");
        URI location = URI.create(answer.header("Location"));
        assertThat(location.toString()).startsWith(s3.endpoint() + "/update-packages/updates/" + version + "/update_" + version + ".zip?")
                .contains("X-Amz-Signature=").doesNotContain(token);
        HttpApi store = new HttpApi(s3.origin());
        String presigned = location.getRawPath() + "?" + location.getRawQuery();

        HttpApi.Response whole = store.get(presigned, null);
        assertThat(whole.status()).as("%s", whole).isEqualTo(200);
        assertThat(Sha256.of(whole.bytes())).isEqualTo(Sha256.of(zip));

        int from = zip.length / 2;
        HttpApi.Response rest = store.get(presigned, null, "Range", "bytes=" + from + "-");
        assertThat(rest.status()).isEqualTo(206);
        assertThat(rest.bytes()).isEqualTo(Arrays.copyOfRange(zip, from, zip.length));
        assertThat(rest.header("Content-Range")).isEqualTo("bytes " + from + "-" + (zip.length - 1) + "/" + zip.length);

        assertThat(redirecting.storagePath().resolve("updates")).as("nothing kept on the server's disk")
                .doesNotExist();
    }

    @Test
    void aTamperedPresignedUrlIsRefusedByTheStore() {
        HttpApi api = redirecting.api();
        String token = api.register(redirecting.enrollmentKey(), ApiTestSupport.newDeviceUuid(), "UTC", "v1.0.0");
        String version = nextVersion();
        String id = publish(api, redirecting.adminKey(), version, samplePackage(version));
        URI location = URI.create(api.get(ApiPaths.download(id), token).header("Location"));
        HttpApi store = new HttpApi(s3.origin());

        String otherKey = location.getRawPath().replace("/update_" + version, "/other_" + version) + "?"
                + location.getRawQuery();
        String query = location.getRawQuery();
        int signature = query.indexOf("X-Amz-Signature=") + "X-Amz-Signature=".length();
        char flipped = query.charAt(signature) == 'a' ? 'b' : 'a';
        String badSignature = location.getRawPath() + "?" + query.substring(0, signature) + flipped
                + query.substring(signature + 1);
        String longer = location.getRawPath() + "?" + query.replaceFirst("X-Amz-Expires=\\d+", "X-Amz-Expires=604800");

        assertThat(store.get(otherKey, null).status()).as("another object").isEqualTo(403);
        assertThat(store.get(badSignature, null).status()).as("a changed signature").isEqualTo(403);
        assertThat(store.get(longer, null).status()).as("a longer life").isEqualTo(403);
    }

    @Test
    void inProxyModeTheServerStreamsThePackageWithRanges() throws IOException {
        HttpApi api = proxying.api();
        String token = api.register(proxying.enrollmentKey(), ApiTestSupport.newDeviceUuid(), "UTC", "v1.0.0");
        String version = nextVersion();
        Path file = samplePackage(version);
        byte[] zip = Files.readAllBytes(file);
        String id = publish(api, proxying.adminKey(), version, file);
        try (var client = s3.client()) {
            assertThat(client.headObject(r -> r.bucket("proxied").key("updates/" + version + "/update_" + version + ".zip"))
                    .contentLength()).isEqualTo(zip.length);
        }

        HttpApi.Response whole = api.get(ApiPaths.download(id), token);
        assertThat(whole.status()).as("%s", whole).isEqualTo(200);
        assertThat(whole.bytes()).isEqualTo(zip);
        assertThat(whole.header("ETag")).isEqualTo("\"" + Sha256.of(zip) + "\"");
        assertThat(whole.header("Content-Length")).isEqualTo(String.valueOf(zip.length));

        int from = zip.length - 100;
        HttpApi.Response rest = api.get(ApiPaths.download(id), token, "Range", "bytes=" + from + "-");
        assertThat(rest.status()).isEqualTo(206);
        assertThat(rest.bytes()).isEqualTo(Arrays.copyOfRange(zip, from, zip.length));

        HttpApi.Response first = api.get(ApiPaths.download(id), token, "Range", "bytes=0-99");
        assertThat(first.bytes()).isEqualTo(Arrays.copyOfRange(zip, 0, 100));

        assertThat(api.get(ApiPaths.download(id), token, "Range", "bytes=" + (zip.length + 5) + "-").status())
                .isEqualTo(416);
    }

    @Test
    void deltasAreMadeFromTheBucketAndServedAsThePackageIs() throws IOException {
        for (TestServer server : java.util.List.of(redirecting, proxying)) {
            HttpApi api = server.api();
            Path releases = Files.createTempDirectory(work, "releases");
            String base = nextVersion();
            publish(api, server.adminKey(), base, ApiTestSupport.release(releases, base, 1), "scheduled");
            String uuid = ApiTestSupport.newDeviceUuid();
            String token = api.register(server.enrollmentKey(), uuid, "UTC", base);
            String target = nextVersion();
            String id = publish(api, server.adminKey(), target, ApiTestSupport.release(releases, target, 1),
                    "scheduled");

            var delta = api.get(ApiPaths.check(uuid), token).json().get("update").get("delta");
            assertThat(delta.get("base_version").asText()).as("%s", delta).isEqualTo(base);
            assertThat(delta.get("url").asText()).isEqualTo(ApiPaths.deltaDownload(id, base));
            String key = "updates/" + target + "/delta_" + base + "_to_" + target + ".zip";
            HttpApi.Response answer = api.get(delta.get("url").asText(), token);
            HttpApi from = api;
            String path = delta.get("url").asText();
            String auth = token;
            if (server == redirecting) {
                assertThat(answer.status()).as("%s", answer).isEqualTo(302);
                URI location = URI.create(answer.header("Location"));
                assertThat(location.getRawPath()).endsWith("/update-packages/" + key);
                from = new HttpApi(s3.origin());
                path = location.getRawPath() + "?" + location.getRawQuery();
                auth = null;
                answer = from.get(path, null);
            } else {
                assertThat(answer.header("ETag")).isEqualTo("\"" + delta.get("sha256").asText() + "\"");
            }
            assertThat(answer.status()).as("%s", answer).isEqualTo(200);
            byte[] bytes = answer.bytes();
            assertThat(bytes).hasSize(delta.get("size_bytes").asInt());
            assertThat(Sha256.of(bytes)).isEqualTo(delta.get("sha256").asText());
            HttpApi.Response rest = from.get(path, auth, "Range", "bytes=10-");
            assertThat(rest.status()).isEqualTo(206);
            assertThat(rest.bytes()).isEqualTo(Arrays.copyOfRange(bytes, 10, bytes.length));
            assertThat(server.storagePath().resolve("updates")).as("nothing kept on the server's disk")
                    .doesNotExist();
        }
    }

    @Test
    void wrongCredentialsStopTheStartSayingWhichSettingsToFix(CapturedOutput output) {
        Map<String, Object> settings = s3.settings("update-packages");
        settings.put("ota.storage.s3-secret-access-key", "not-the-secret");

        String report = refusedStart(output, settings);

        assertThat(report).contains("The package store is not usable").contains("refused the credentials")
                .contains("OTA_S3_ACCESS_KEY_ID and OTA_S3_SECRET_ACCESS_KEY").doesNotContain("not-the-secret");
    }

    @Test
    void aMissingBucketStopsTheStartSayingToCreateIt(CapturedOutput output) {
        String report = refusedStart(output, s3.settings("no-such-bucket"));

        assertThat(report).contains("the bucket does not exist at " + s3.endpoint() + ", bucket no-such-bucket")
                .contains("create it").contains("OTA_S3_BUCKET");
    }

    @Test
    void anEndpointWhereNothingListensStopsTheStartNamingIt(CapturedOutput output) throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        Map<String, Object> settings = s3.settings("update-packages");
        settings.put("ota.storage.s3-endpoint", "http://127.0.0.1:" + closed + "/storage/v1/s3");

        String report = refusedStart(output, settings);

        assertThat(report).contains("cannot reach the S3 store at http://127.0.0.1:" + closed + "/storage/v1/s3")
                .contains("set OTA_S3_ENDPOINT (or SUPABASE_URL)");
    }

    @Test
    void anUnknownStorageTypeStopsTheStart(CapturedOutput output) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("ota.storage.type", "ftp");

        String report = refusedStart(output, settings);

        assertThat(report).contains("OTA_STORAGE is 'ftp': set it to filesystem (the default) or s3");
    }

    private String refusedStart(CapturedOutput output, Map<String, Object> overrides) {
        assertThatThrownBy(() -> TestServer.start(overrides).close()).isInstanceOf(RuntimeException.class);
        String all = output.getAll();
        int report = all.indexOf("APPLICATION FAILED TO START");
        assertThat(report).as("Spring Boot's failure report in:%n%s", all).isNotNegative();
        return all.substring(report).replace(System.lineSeparator(), "\n");
    }

    private String nextVersion() {
        return "v1." + minor.incrementAndGet() + ".0";
    }

    private Path samplePackage(String version) {
        try {
            return PackageBuilder.samplePackage(Files.createTempDirectory(work, "pkg"), Version.parse(version),
                    UpdateType.URGENT, DebianPackageNames.parseList(null));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String publish(HttpApi api, String adminKey, String version, Path file) {
        return publish(api, adminKey, version, file, "urgent");
    }

    private static String publish(HttpApi api, String adminKey, String version, Path file, String type) {
        Map<String, Object> form = ApiTestSupport.form(version, type, null, null);
        form.put("package", file);
        HttpApi.Response created = api.multipart(ApiPaths.CREATE_UPDATE, adminKey, form);
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        return created.json().get("update").get("id").asText();
    }
}
