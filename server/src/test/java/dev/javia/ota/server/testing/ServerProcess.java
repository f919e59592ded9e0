package dev.javia.ota.server.testing;

import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;

/**
 * The real server as an operator runs it: a JVM of its own ({@code java -cp ... OtaServerApplication}, the test
 * JVM's class path without the test classes), configured only through the documented environment variables, on a
 * free loopback port, with its output in a log file under {@code target/server-processes/}. Several share one
 * {@link TestDatabase}, which the test creates and drops. Unlike an in-process second context it shares nothing
 * with the test or with another instance (no static state, no beans, no clock the test sets): whatever links two
 * of them goes through PostgreSQL, or the package store, as in production. {@link #kill} ends one as a crash would.
 */
public final class ServerProcess implements AutoCloseable {

    /** How long a start may take: two JVMs starting together on a shared two-core machine take about 20 s. */
    private static final Duration START = Duration.ofSeconds(120);
    private static final Duration STOP = Duration.ofSeconds(20);
    private static final Path LOGS = Path.of("target", "server-processes");
    /** Settings inherited from the test's own environment would configure the server behind the test's back. */
    private static final List<String> NOT_INHERITED = List.of("OTA_", "SPRING_", "SERVER_", "SUPABASE_",
            "MANAGEMENT_", "LOGGING_", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

    private final String name;
    private final Process process;
    private final int port;
    private final Path log;
    private final Thread stopOnExit;

    private ServerProcess(String name, Process process, int port, Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.log = log;
        // a test JVM that ends without closing this (a timeout, Ctrl-C) leaves no server running
        this.stopOnExit = new Thread(process::destroyForcibly, "stop-server-" + name);
        Runtime.getRuntime().addShutdownHook(stopOnExit);
    }

    /**
     * What every instance over {@code database} runs with: its URL and user, the test keys of
     * {@link TestDatabaseInitializer} (so that tests use the same {@code ADMIN_KEY} and {@code ENROLLMENT_KEY}
     * whichever kind of server they talk to), no banner. The jobs run and heartbeats are batched, as by default.
     */
    public static Map<String, String> environment(TestDatabase database) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("SPRING_DATASOURCE_URL", database.url());
        environment.put("SPRING_DATASOURCE_USERNAME", database.user());
        environment.put("SPRING_DATASOURCE_PASSWORD", database.password());
        environment.put("OTA_ADMIN_API_KEY", TestDatabaseInitializer.ADMIN_KEY + ","
                + TestDatabaseInitializer.SECOND_ADMIN_KEY);
        environment.put("OTA_ENROLLMENT_KEY", TestDatabaseInitializer.ENROLLMENT_KEY);
        environment.put("SPRING_MAIN_BANNER_MODE", "off");
        return environment;
    }

    /** Starts an instance and waits until it is ready; {@code environment} as {@link #environment} makes it. */
    public static ServerProcess start(String name, Map<String, String> environment) {
        ServerProcess server = launch(name, environment);
        server.awaitReady();
        return server;
    }

    /**
     * Starts an instance without waiting for it, so that several start at once: call {@link #awaitReady} on each.
     * {@code SERVER_PORT}, {@code SERVER_ADDRESS} and {@code OTA_STORAGE_PATH} are this class's to set.
     */
    public static ServerProcess launch(String name, Map<String, String> environment) {
        int port = freePort();
        try {
            Files.createDirectories(LOGS);
            String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            Path directory = Files.createTempDirectory(LOGS, name + "-" + stamp + "-").toAbsolutePath();
            Path log = directory.resolve("server.log");
            List<String> command = new ArrayList<>(List.of(java(), "-Xmx256m", "-XX:+UseSerialGC",
                    // a test's server runs for a minute: the C2 compiler's work would not pay for itself
                    "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + Files.createDirectories(directory.resolve("tmp")),
                    "-cp", serverClassPath(), "dev.javia.ota.server.OtaServerApplication"));
            ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().keySet().removeIf(key -> NOT_INHERITED.stream().anyMatch(key::startsWith));
            builder.environment().putAll(environment);
            builder.environment().put("SERVER_PORT", String.valueOf(port));
            builder.environment().put("SERVER_ADDRESS", "127.0.0.1");
            builder.environment().putIfAbsent("OTA_STORAGE_PATH", directory.resolve("packages").toString());
            return new ServerProcess(name, builder.start(), port, log);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start server " + name, e);
        }
    }

    /** Waits until {@code /actuator/health/readiness} answers UP; a server that stops or takes too long fails. */
    public ServerProcess awaitReady() {
        HttpApi probe = new HttpApi(baseUrl(), Duration.ofSeconds(2));
        try {
            await("server " + name + " ready").atMost(START).pollInterval(Duration.ofMillis(250))
                    .until(() -> !process.isAlive() || ready(probe));
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException("server " + name + " was not ready within " + START.toSeconds()
                    + " s; " + describeLog(), e);
        }
        if (!process.isAlive()) {
            throw new IllegalStateException("server " + name + " stopped at its start (exit "
                    + process.exitValue() + "); " + describeLog());
        }
        return this;
    }

    private static boolean ready(HttpApi probe) {
        try {
            HttpApi.Response readiness = probe.get("/actuator/health/readiness", null);
            return readiness.status() == 200 && readiness.body().contains("\"UP\"");
        } catch (UncheckedIOException e) {
            return false; // not listening yet
        }
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public HttpApi api() {
        return new HttpApi(baseUrl());
    }

    /** A client that waits up to {@code timeout} for an answer, e.g. for a held long poll. */
    public HttpApi api(Duration timeout) {
        return new HttpApi(baseUrl(), timeout);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The process's exit status once it ended: 143 after a SIGTERM it handled, 137 after a kill. */
    public int exitValue() {
        return process.exitValue();
    }

    public Path logFile() {
        return log;
    }

    /** The last {@code lines} lines of the server's output. */
    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return all.subList(Math.max(0, all.size() - lines), all.size()).stream()
                    .collect(Collectors.joining("\n"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** The log's path and its tail, for a failure's message. */
    public String describeLog() {
        return "the last lines of " + log.toAbsolutePath() + ":\n" + tail(40);
    }

    /** Ends the process at once, as a crash or {@code kill -9} would: no shutdown, nothing flushed. */
    public void kill() {
        process.destroyForcibly();
        waitForExit();
    }

    /** Stops the server as its unit does (SIGTERM: a graceful shutdown), forcibly when it takes too long. */
    @Override
    public void close() {
        process.destroy();
        waitForExit();
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException e) {
            // the JVM is exiting already: the hook runs, harmlessly
        }
    }

    private void waitForExit() {
        try {
            if (!process.waitFor(STOP.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * For {@code @RegisterExtension}: a test that fails carries the log tails of {@code servers} (those started so
     * far), so that its report shows what the servers said, not only what the test saw.
     */
    public static TestExecutionExceptionHandler logsOnFailure(Supplier<List<ServerProcess>> servers) {
        return (context, failure) -> {
            servers.get().stream().filter(Objects::nonNull)
                    .forEach(server -> failure.addSuppressed(new ServerLog(server)));
            throw failure;
        };
    }

    /** A server's log tail, attached to a failure. */
    private static final class ServerLog extends Exception {

        ServerLog(ServerProcess server) {
            super(server + (server.isAlive() ? "" : " (stopped)") + ", " + server.describeLog(), null, false, false);
        }
    }

    @Override
    public String toString() {
        return "server " + name + " at " + baseUrl();
    }

    /**
     * The test JVM's class path (Surefire sets {@code java.class.path} to the whole test class path, also when it
     * starts the JVM through a manifest-only jar) without the test classes: component scanning would otherwise
     * pick up the tests' {@code @TestConfiguration}s (a clock the test sets, a page that fails on purpose). Run from
     * another module's tests, the server's test-jar is left out for the same reason.
     */
    static String serverClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.isBlank())
                .filter(entry -> !Path.of(entry).normalize().endsWith(Path.of("target", "test-classes")))
                // the server's test-jar, on another module's class path
                .filter(entry -> !entry.endsWith("-tests.jar"))
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString());
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
