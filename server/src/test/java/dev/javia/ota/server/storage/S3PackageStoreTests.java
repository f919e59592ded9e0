package dev.javia.ota.server.storage;

import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.server.OtaProperties;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.S3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.Resource;
import org.springframework.util.unit.DataSize;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The S3 store against s3proxy: multipart uploads, ranged reads, expiring presigned URLs, deletion. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class S3PackageStoreTests {

    private Path work;
    private S3Server s3;

    @BeforeAll
    void startStore(@TempDir Path directory) {
        work = directory;
        s3 = S3Server.start(directory.resolve("s3"));
        s3.createBucket("packages");
    }

    @AfterAll
    void stopStore() {
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void aPackageAboveThePartSizeGoesUpInPartsAndComesBackWholeAndInRanges() throws IOException {
        try (S3PackageStore store = store("proxy", Duration.ofMinutes(5))) {
            Path file = randomFile(12 * 1024 * 1024 + 123);
            byte[] bytes = Files.readAllBytes(file);

            store.put("updates/v9.0.0/update_v9.0.0.zip", file);

            try (var client = s3.client()) {
                String etag = client.headObject(r -> r.bucket("packages").key("updates/v9.0.0/update_v9.0.0.zip"))
                        .eTag();
                assertThat(etag).as("a multipart object's ETag counts its parts").endsWith("-3\"");
            }
            Resource resource = store.open("updates/v9.0.0/update_v9.0.0.zip");
            assertThat(resource.contentLength()).isEqualTo(bytes.length);
            try (InputStream in = resource.getInputStream()) {
                assertThat(Sha256.of(in.readAllBytes())).isEqualTo(Sha256.of(bytes));
            }
            long from = bytes.length - 1000;
            try (InputStream in = resource.getInputStream()) {
                assertThat(in.skip(from)).isEqualTo(from);
                assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(bytes, (int) from,
                        bytes.length));
            }
        }
    }

    @Test
    void aDeletedPackageIsGoneAndOpeningItSaysSo() throws IOException {
        try (S3PackageStore store = store("redirect", Duration.ofMinutes(5))) {
            store.put("updates/v8.0.0/update_v8.0.0.zip", randomFile(1000));

            store.delete("updates/v8.0.0/update_v8.0.0.zip");
            store.delete("updates/v8.0.0/update_v8.0.0.zip");

            assertThatThrownBy(() -> store.open("updates/v8.0.0/update_v8.0.0.zip"))
                    .isInstanceOf(NoSuchFileException.class).hasMessageContaining("missing from the bucket");
        }
    }

    @Test
    void aPresignedUrlIsRefusedOnceItsTimeIsUp() throws IOException {
        try (S3PackageStore store = store("redirect", Duration.ofSeconds(1))) {
            store.put("updates/v7.0.0/update_v7.0.0.zip", randomFile(1000));
            URI url = store.directDownload("updates/v7.0.0/update_v7.0.0.zip").orElseThrow();
            HttpApi api = new HttpApi(s3.origin());
            String path = url.getRawPath() + "?" + url.getRawQuery();

            assertThat(api.get(path, null).status()).as("within its time").isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                    .until(() -> api.get(path, null).status() == 403);
        }
    }

    @Test
    void inProxyModeThereIsNoDirectDownload() throws IOException {
        try (S3PackageStore store = store("proxy", Duration.ofMinutes(5))) {
            assertThat(store.directDownload("updates/v1.0.0/update_v1.0.0.zip")).isEmpty();
        }
    }

    @Test
    void supabaseUrlsGiveTheirStorageEndpoint() {
        assertThat(settings(null, "https://abcdefgh.supabase.co/").endpoint())
                .hasToString("https://abcdefgh.storage.supabase.co/storage/v1/s3");
        assertThat(settings(null, "http://127.0.0.1:54321").endpoint())
                .hasToString("http://127.0.0.1:54321/storage/v1/s3");
        assertThat(settings("http://minio:9000", "https://abcdefgh.supabase.co").endpoint())
                .as("OTA_S3_ENDPOINT wins").hasToString("http://minio:9000");
        assertThat(settings(null, null).endpoint()).as("AWS's own").isNull();
    }

    private static StorageSettings settings(String endpoint, String supabaseUrl) {
        return new StorageSettings("s3", endpoint, null, null, null, null, "redirect", Duration.ofMinutes(5),
                DataSize.ofMegabytes(16), supabaseUrl);
    }

    private S3PackageStore store(String downloads, Duration ttl) {
        StorageSettings settings = new StorageSettings("s3", s3.endpoint(), S3Server.REGION, "packages",
                S3Server.ACCESS_KEY, S3Server.SECRET_KEY, downloads, ttl, DataSize.ofMegabytes(5), null);
        assertThat(settings.problems()).isEmpty();
        OtaProperties properties = new OtaProperties(List.of(), null, work.resolve("disk"), DataSize.ofMegabytes(512),
                DataSize.ofKilobytes(64), Duration.ofMinutes(5), Duration.ofMinutes(5), 3, 2, Duration.ofHours(3),
                false, Duration.ofSeconds(1), 1000, Duration.ofMinutes(30));
        return S3PackageStore.connect(settings, properties);
    }

    private Path randomFile(int size) throws IOException {
        Path file = Files.createTempFile(work, "package", ".zip");
        Random random = new Random(size);
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk, 0, Math.min(left, chunk.length));
            }
        }
        return file;
    }
}
