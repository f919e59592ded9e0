package dev.javia.ota.server.testing;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * A real S3-protocol server for tests: s3proxy (target/s3proxy/s3proxy.jar, copied there by the build) as its own
 * process on a free loopback port, checking SigV4 signatures, with objects on disk under a directory of the test's,
 * and Supabase Storage's path shape ({@code /storage/v1/s3}). Not embedded: its ~120 jars would replace the server's
 * Jackson. Close it to stop the process.
 */
public final class S3Server implements AutoCloseable {

    public static final String SERVICE_PATH = "/storage/v1/s3";
    public static final String ACCESS_KEY = "test-access-key";
    public static final String SECRET_KEY = "test-secret-key-for-s3proxy";
    public static final String REGION = "us-east-1";

    private final Process process;
    private final int port;
    private final Path log;

    private S3Server(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    public static S3Server start(Path directory) {
        // from the server module, or from another module's tests (the agent's) beside it
        Path jar = Path.of("target", "s3proxy", "s3proxy.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            jar = Path.of("..", "server", "target", "s3proxy", "s3proxy.jar").toAbsolutePath().normalize();
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the tests through Maven, whose"
                    + " generate-test-resources phase copies it (server/pom.xml, s3proxy-for-tests)");
        }
        int port = freePort();
        try {
            Path blobs = Files.createDirectories(directory.resolve("blobs"));
            Path properties = directory.resolve("s3proxy.properties");
            Files.writeString(properties, String.join("\n",
                    "s3proxy.endpoint=http://127.0.0.1:" + port,
                    "s3proxy.service-path=" + SERVICE_PATH,
                    "s3proxy.authorization=aws-v4",
                    "s3proxy.identity=" + ACCESS_KEY,
                    "s3proxy.credential=" + SECRET_KEY,
                    "jclouds.provider=filesystem",
                    "jclouds.filesystem.basedir=" + blobs,
                    ""));
            Path log = directory.resolve("s3proxy.log");
            String java = ProcessHandle.current().info().command().orElse("java");
            Process process = new ProcessBuilder(List.of(java, "-jar", jar.toString(), "--properties",
                    properties.toString()))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            S3Server server = new S3Server(process, port, log);
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                        .until(() -> !process.isAlive() || server.accepts());
                if (!process.isAlive()) {
                    throw new IllegalStateException("s3proxy stopped at its start:\n" + Files.readString(log));
                }
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private boolean accepts() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The S3 endpoint, as Supabase's: {@code http://127.0.0.1:PORT/storage/v1/s3}. */
    public String endpoint() {
        return origin() + SERVICE_PATH;
    }

    /** Where a self-hosted Supabase would be: its S3 endpoint is this plus {@code /storage/v1/s3}. */
    public String origin() {
        return "http://127.0.0.1:" + port;
    }

    public void createBucket(String bucket) {
        try (S3Client client = client()) {
            client.createBucket(request -> request.bucket(bucket));
        }
    }

    /** A client of the test's own, to look into the bucket behind the server's back. */
    public S3Client client() {
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint()))
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY,
                        SECRET_KEY)))
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    /** The server's settings for a bucket here, over {@code OTA_S3_ENDPOINT}. */
    public Map<String, Object> settings(String bucket) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("ota.storage.type", "s3");
        settings.put("ota.storage.s3-endpoint", endpoint());
        settings.put("ota.storage.s3-region", REGION);
        settings.put("ota.storage.s3-bucket", bucket);
        settings.put("ota.storage.s3-access-key-id", ACCESS_KEY);
        settings.put("ota.storage.s3-secret-access-key", SECRET_KEY);
        return settings;
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
