package dev.javia.ota.server.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Real nginx in front of server instances, running the operator's example {@code deploy/nginx/javia-ota.conf} as
 * it is but for its addresses: the upstream's two server addresses become the instances', the TLS and the plain
 * listen lines free loopback ports, the certificate one made here with openssl, the access log a file here. Each
 * replacement must find its text exactly once, so that the example cannot drift from what is tested. The file is
 * included in a main configuration of the test's own (events, temporary paths), as Debian's nginx.conf includes
 * conf.d; checked with {@code nginx -t} before it runs. Stopped on close. Debian's nginx and openssl (installed by
 * .ci/run), or those at {@code OTA_TEST_NGINX} and {@code OTA_TEST_OPENSSL}; without them a test fails, saying what to
 * install.
 */
public final class Nginx implements AutoCloseable {

    /** The example, from the server module (where Maven runs the tests). */
    public static final Path EXAMPLE = Path.of("..", "deploy", "nginx", "javia-ota.conf");

    private final Process process;
    private final Path directory;
    private final int port;
    private final int tlsPort;

    private Nginx(Process process, Path directory, int port, int tlsPort) {
        this.process = process;
        this.directory = directory;
        this.port = port;
        this.tlsPort = tlsPort;
    }

    /**
     * Starts nginx with the example in front of {@code first} and {@code second} (host:port each), its files in
     * {@code directory}; fails the test, saying what to install, when nginx or openssl is missing.
     */
    public static Nginx start(Path directory, String first, String second) {
        String nginx = binary("OTA_TEST_NGINX", "/usr/sbin/nginx", "nginx", "nginx-light");
        String openssl = binary("OTA_TEST_OPENSSL", "/usr/bin/openssl", "openssl", "openssl");
        int port = freePort();
        int tlsPort = freePort();
        try {
            Path certificate = directory.resolve("tls.crt");
            Path key = directory.resolve("tls.key");
            run(directory, openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key.toString(), "-out", certificate.toString());
            String example = Files.readString(EXAMPLE);
            String site = example;
            site = replaceOnce(site, "server 10.0.0.11:8000 ", "server " + first + " ");
            site = replaceOnce(site, "server 10.0.0.12:8000 ", "server " + second + " ");
            site = replaceOnce(site, "listen 443 ssl http2;", "listen 127.0.0.1:" + tlsPort + " ssl http2;");
            site = replaceOnce(site, "listen 127.0.0.1:8080;", "listen 127.0.0.1:" + port + ";");
            site = replaceOnce(site, "/etc/nginx/tls/ota.example.com.crt", certificate.toString());
            site = replaceOnce(site, "/etc/nginx/tls/ota.example.com.key", key.toString());
            site = replaceOnce(site, "/var/log/nginx/javia-ota.access.log", directory.resolve("access.log").toString());
            Path siteFile = directory.resolve("javia-ota.conf");
            Files.writeString(siteFile, site);

            List<String> main = new ArrayList<>();
            // as root the workers would run as nobody, who may not enter the test's directories
            if ("root".equals(System.getProperty("user.name"))) {
                main.add("user root;");
            }
            main.add("worker_processes 1;");
            main.add("events { worker_connections 512; }");
            main.add("http {");
            for (String temporary : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
                main.add("    " + temporary + "_temp_path " + Files.createDirectories(directory.resolve(temporary))
                        + ";");
            }
            main.add("    include " + siteFile + ";");
            main.add("}");
            Path mainFile = directory.resolve("nginx.conf");
            Files.writeString(mainFile, String.join("\n", main) + "\n");

            Path errorLog = directory.resolve("error.log");
            String settings = "daemon off; pid " + directory.resolve("nginx.pid") + ";";
            run(directory, nginx, "-t", "-q", "-p", directory.toString(), "-e", errorLog.toString(),
                    "-c", mainFile.toString(), "-g", settings);
            Process process = new ProcessBuilder(nginx, "-p", directory.toString(), "-e", errorLog.toString(),
                    "-c", mainFile.toString(), "-g", settings)
                    .redirectErrorStream(true).redirectOutput(directory.resolve("nginx.out").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            Nginx started = new Nginx(process, directory, port, tlsPort);
            try {
                await("nginx listening").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                        .until(() -> !process.isAlive() || (accepts(port) && accepts(tlsPort)));
                if (!process.isAlive()) {
                    throw new IllegalStateException("nginx stopped at its start:\n" + started.errorLog());
                }
            } catch (RuntimeException e) {
                started.close();
                throw e;
            }
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The example with {@code from} replaced by {@code to}; fails unless {@code from} is there exactly once. */
    static String replaceOnce(String text, String from, String to) {
        int at = text.indexOf(from);
        if (at < 0 || text.indexOf(from, at + 1) >= 0) {
            throw new AssertionError(EXAMPLE + " must contain '" + from + "' exactly once (the test replaces it): "
                    + (at < 0 ? "it has none" : "it has several"));
        }
        return text.substring(0, at) + to + text.substring(at + from.length());
    }

    /** The program at {@code variable}'s path, else at {@code fallback}; fails, saying what to install, if neither. */
    private static String binary(String variable, String fallback, String what, String apt) {
        String configured = System.getenv(variable);
        String path = configured == null || configured.isBlank() ? fallback : configured;
        if (!Files.isExecutable(Path.of(path))) {
            throw new IllegalStateException(path + " is not installed: the load balancer's tests run the example"
                    + " deploy/nginx/javia-ota.conf with Debian's " + what + " (apt-get install " + apt
                    + "; .ci/run does it)");
        }
        return path;
    }

    /** The plain listener, on the loopback: {@code http://127.0.0.1:PORT}. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The TLS listener, with a certificate for 127.0.0.1 ({@link #certificate}). */
    public String tlsUrl() {
        return "https://127.0.0.1:" + tlsPort;
    }

    /** The self-signed certificate the TLS listener presents (PEM), for a client to trust. */
    public Path certificate() {
        return directory.resolve("tls.crt");
    }

    /** The access log's lines so far, in the example's format (with {@code upstream=host:port}). */
    public List<String> accessLog() {
        try {
            Path log = directory.resolve("access.log");
            return Files.exists(log) ? Files.readAllLines(log) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String errorLog() {
        try {
            return Files.readString(directory.resolve("error.log"));
        } catch (IOException e) {
            return "(no error log: " + e.getMessage() + ")";
        }
    }

    /** Stops nginx: SIGTERM, its fast shutdown (open connections are closed). */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a command to its end (within a minute) in {@code directory}; fails with its output unless it succeeds. */
    private static void run(Path directory, String... command) throws IOException {
        Path output = directory.resolve("command.out");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + process.exitValue() + "):\n"
                    + Files.readString(output));
        }
    }
}
