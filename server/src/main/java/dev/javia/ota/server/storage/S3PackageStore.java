package dev.javia.ota.server.storage;

import dev.javia.ota.server.OtaProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.AbstractResource;
import org.springframework.core.io.Resource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Packages as objects in an S3 bucket: AWS S3, MinIO, or Supabase Storage through its S3 endpoint. Path-style
 * addressing (an endpoint with a path, such as Supabase's {@code /storage/v1/s3}, keeps it) and checksums only where
 * the protocol requires them: several S3-compatible stores mishandle the SDK's aws-chunked uploads otherwise.
 * Uploads are read from the verified upload file, in parts above {@code OTA_S3_PART_SIZE}; an object appears under
 * its key only once complete, as S3 writes are atomic.
 */
final class S3PackageStore implements PackageStore, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(S3PackageStore.class);
    private static final String ZIP = "application/zip";

    private final S3Client client;
    private final S3Presigner presigner;
    private final String bucket;
    private final Path incoming;
    private final long partSize;
    private final boolean redirect;
    private final Duration presignTtl;

    private S3PackageStore(S3Client client, S3Presigner presigner, StorageSettings settings, Path incoming) {
        this.client = client;
        this.presigner = presigner;
        this.bucket = settings.bucket();
        this.incoming = incoming;
        this.partSize = settings.s3PartSize().toBytes();
        this.redirect = settings.redirectDownloads();
        this.presignTtl = settings.s3PresignTtl();
    }

    /** Builds the store and checks that its bucket answers; a store that cannot be used stops the start. */
    static S3PackageStore connect(StorageSettings settings, OtaProperties properties) {
        URI endpoint = settings.endpoint();
        AwsCredentialsProvider credentials = StorageSettings.blank(settings.s3AccessKeyId())
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.s3AccessKeyId().trim(),
                        settings.s3SecretAccessKey().trim()));
        Region region = Region.of(settings.region());
        var clientBuilder = S3Client.builder()
                .region(region)
                .credentialsProvider(credentials)
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofMinutes(1)));
        var presignerBuilder = S3Presigner.builder()
                .region(region)
                .credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build());
        if (endpoint != null) {
            clientBuilder.endpointOverride(endpoint);
            presignerBuilder.endpointOverride(endpoint);
        }
        S3Client client = clientBuilder.build();
        S3Presigner presigner = presignerBuilder.build();
        String where = (endpoint == null ? "AWS S3 in " + region : endpoint.toString()) + ", bucket "
                + settings.bucket();
        try {
            checkBucket(client, settings, where);
            Path incoming = incomingDirectory(properties);
            S3PackageStore store = new S3PackageStore(client, presigner, settings, incoming);
            log.info("package storage s3={} region={} downloads={} presign_ttl={}", where, region,
                    store.redirect ? "redirect" : "proxy", store.presignTtl);
            return store;
        } catch (RuntimeException e) {
            presigner.close();
            client.close();
            throw e;
        }
    }

    private static void checkBucket(S3Client client, StorageSettings settings, String where) {
        try {
            client.headBucket(request -> request.bucket(settings.bucket()));
        } catch (S3Exception e) {
            String problem;
            if (e.statusCode() == 404) {
                problem = "the bucket does not exist at " + where + ": create it (private; Supabase: Storage, New"
                        + " bucket) or set OTA_S3_BUCKET to the one that holds the packages";
            } else if (e.statusCode() == 403 || e.statusCode() == 401 || e.statusCode() == 400) {
                problem = "the store at " + where + " refused the credentials (HTTP " + e.statusCode() + "): set"
                        + " OTA_S3_ACCESS_KEY_ID and OTA_S3_SECRET_ACCESS_KEY to an access key of that store, and"
                        + " OTA_S3_REGION to its region (Supabase: the project's)";
            } else {
                problem = "the store at " + where + " answered HTTP " + e.statusCode() + " when asked for the"
                        + " bucket: check OTA_S3_ENDPOINT (or SUPABASE_URL) and OTA_S3_BUCKET";
            }
            throw new PackageStoreUnusable(List.of(problem), e);
        } catch (SdkClientException e) {
            throw new PackageStoreUnusable(List.of("cannot reach the S3 store at " + where + " (" + e.getMessage()
                    + "): set OTA_S3_ENDPOINT (or SUPABASE_URL) to the store's address, e.g."
                    + " https://<ref>.storage.supabase.co/storage/v1/s3"), e);
        }
    }

    /** Uploads are still received on the server's disk (and verified there) before they go to the bucket. */
    private static Path incomingDirectory(OtaProperties properties) {
        Path incoming = properties.storagePath().toAbsolutePath().normalize().resolve(".incoming");
        try {
            Files.createDirectories(incoming);
            return incoming;
        } catch (IOException e) {
            throw new PackageStoreUnusable(List.of("cannot create " + incoming + " for uploads on their way to the"
                    + " bucket: set OTA_STORAGE_PATH to a directory the server may write"), e);
        }
    }

    @Override
    public Path newUploadFile() throws IOException {
        return Files.createTempFile(incoming, "upload-", ".zip");
    }

    @Override
    public void put(String key, Path file) throws IOException {
        long size = Files.size(file);
        try {
            if (size <= partSize) {
                client.putObject(request -> request.bucket(bucket).key(key).contentType(ZIP).contentLength(size),
                        RequestBody.fromFile(file));
            } else {
                putInParts(key, file, size);
            }
        } catch (SdkException e) {
            throw new IOException("storing " + key + " in bucket " + bucket + " failed: " + e.getMessage(), e);
        }
    }

    private void putInParts(String key, Path file, long size) {
        String uploadId = client.createMultipartUpload(request -> request.bucket(bucket).key(key).contentType(ZIP))
                .uploadId();
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int number = 1;
            for (long offset = 0; offset < size; offset += partSize, number++) {
                long start = offset;
                long length = Math.min(partSize, size - offset);
                int partNumber = number;
                // each part is read from the file when sent (and again if the SDK retries it): never held in memory
                String etag = client.uploadPart(request -> request.bucket(bucket).key(key).uploadId(uploadId)
                                .partNumber(partNumber).contentLength(length),
                        RequestBody.fromContentProvider(() -> slice(file, start, length), length, ZIP)).eTag();
                parts.add(CompletedPart.builder().partNumber(partNumber).eTag(etag).build());
            }
            client.completeMultipartUpload(request -> request.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(upload -> upload.parts(parts)));
        } catch (RuntimeException e) {
            try {
                client.abortMultipartUpload(request -> request.bucket(bucket).key(key).uploadId(uploadId));
            } catch (SdkException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    private static InputStream slice(Path file, long start, long length) {
        try {
            InputStream in = Files.newInputStream(file);
            in.skipNBytes(start);
            return new Limited(in, length);
        } catch (IOException e) {
            throw SdkClientException.create("cannot read " + file + " for upload", e);
        }
    }

    @Override
    public Resource open(String key) throws IOException {
        try {
            HeadObjectResponse head = client.headObject(request -> request.bucket(bucket).key(key));
            return new S3Object(key, head.contentLength());
        } catch (NoSuchKeyException e) {
            throw missing(key);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw missing(key);
            }
            throw new IOException("reading " + key + " from bucket " + bucket + " failed: " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new IOException("reading " + key + " from bucket " + bucket + " failed: " + e.getMessage(), e);
        }
    }

    private NoSuchFileException missing(String key) {
        return new NoSuchFileException(bucket + "/" + key, null, "the package is missing from the bucket");
    }

    @Override
    public void delete(String key) throws IOException {
        try {
            client.deleteObject(request -> request.bucket(bucket).key(key));
        } catch (SdkException e) {
            throw new IOException("deleting " + key + " from bucket " + bucket + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<URI> directDownload(String key) {
        if (!redirect) {
            return Optional.empty();
        }
        try {
            return Optional.of(presigner.presignGetObject(request -> request.signatureDuration(presignTtl)
                    .getObjectRequest(get -> get.bucket(bucket).key(key))).url().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("the presigned URL for " + key + " does not read as a URI", e);
        }
    }

    @Override
    public void close() {
        presigner.close();
        client.close();
    }

    /**
     * An object streamed from the bucket. Spring serves a Range by skipping to its start: a skip before the first
     * read becomes the start of a ranged GET, so that resuming at the end of a large package fetches only the rest.
     */
    private final class S3Object extends AbstractResource {

        private final String key;
        private final long length;

        S3Object(String key, long length) {
            this.key = key;
            this.length = length;
        }

        @Override
        public long contentLength() {
            return length;
        }

        @Override
        public boolean exists() {
            return true;
        }

        @Override
        public String getFilename() {
            return key.substring(key.lastIndexOf('/') + 1);
        }

        @Override
        public String getDescription() {
            return "object " + key + " in bucket " + bucket;
        }

        @Override
        public InputStream getInputStream() {
            return new RangedStream(key, length);
        }
    }

    /** Opens the GET at its first read, from where the skips before it left off. */
    private final class RangedStream extends InputStream {

        private final String key;
        private final long length;
        private long position;
        private ResponseInputStream<GetObjectResponse> body;

        RangedStream(String key, long length) {
            this.key = key;
            this.length = length;
        }

        @Override
        public long skip(long n) throws IOException {
            if (body != null) {
                return body.skip(n);
            }
            long skipped = Math.max(0, Math.min(n, length - position));
            position += skipped;
            return skipped;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int read = read(one, 0, 1);
            return read < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int count) throws IOException {
            if (body == null) {
                if (position >= length) {
                    return -1;
                }
                try {
                    long from = position;
                    body = client.getObject(request -> request.bucket(bucket).key(key)
                            .range(from > 0 ? "bytes=" + from + "-" : null));
                } catch (SdkException e) {
                    throw new IOException("reading " + key + " from bucket " + bucket + " failed: "
                            + e.getMessage(), e);
                }
            }
            return body.read(buffer, offset, count);
        }

        @Override
        public void close() throws IOException {
            if (body != null) {
                body.abort();
                body.close();
            }
        }
    }

    /** At most {@code remaining} bytes of the stream under it. */
    private static final class Limited extends FilterInputStream {

        private long remaining;

        Limited(InputStream in, long remaining) {
            super(in);
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int read = super.read();
            if (read >= 0) {
                remaining--;
            }
            return read;
        }

        @Override
        public int read(byte[] buffer, int offset, int count) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int read = super.read(buffer, offset, (int) Math.min(count, remaining));
            if (read > 0) {
                remaining -= read;
            }
            return read;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(Math.min(n, remaining));
            remaining -= skipped;
            return skipped;
        }
    }
}
