package dev.javia.ota.server.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of the test's own, made with Debian's {@code pg_createcluster} on a free loopback port, for
 * what the shared server must not be used for: its own {@code pg_hba.conf} (the shared one trusts every local
 * connection, so it never refuses a password), or being stopped. Needs root and the postgresql-common tools, as on
 * the CI machine; {@link #unavailable()} says why not elsewhere. Stopped and removed on close.
 */
public final class TestCluster implements AutoCloseable {

    public static final String SUPERUSER = "postgres";

    private final String version;
    private final String name;
    private final int port;
    private final String password;

    private TestCluster(String version, String name, int port, String password) {
        this.version = version;
        this.name = name;
        this.port = port;
        this.password = password;
    }

    /** Why no cluster can be made here, or null when one can. */
    public static String unavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "making a PostgreSQL cluster of a test's own needs root (pg_createcluster), as on the CI machine";
        }
        if (!Files.isExecutable(Path.of("/usr/bin/pg_createcluster")) || newestVersion() == null) {
            return "pg_createcluster or a PostgreSQL server package is missing: sudo apt-get install postgresql";
        }
        return null;
    }

    /**
     * Makes and starts a cluster whose superuser {@value #SUPERUSER} has a random password, with {@code pgHba} as
     * its whole {@code pg_hba.conf}.
     */
    public static TestCluster create(String pgHba) {
        String version = newestVersion();
        String name = "ota_test_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss")) + "_"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        String password = Integer.toHexString(ThreadLocalRandom.current().nextInt()) + "-cluster-password";
        int port = freePort();
        Path passwordFile = null;
        TestCluster cluster = new TestCluster(version, name, port, password);
        try {
            passwordFile = Files.createTempFile("ota-test-cluster", ".pw");
            Files.writeString(passwordFile, password + "\n");
            // initdb runs as the postgres user: it must be able to read the file (whatever the umask)
            Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-r--r--"));
            run("pg_createcluster", "--port", String.valueOf(port), "--start-conf", "manual",
                    "-o", "shared_buffers=16MB", "-o", "max_connections=20",
                    version, name, "--", "--pwfile=" + passwordFile);
            Files.writeString(Path.of("/etc/postgresql", version, name, "pg_hba.conf"), pgHba);
            run("pg_ctlcluster", version, name, "start");
            return cluster;
        } catch (IOException e) {
            cluster.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        } finally {
            if (passwordFile != null) {
                passwordFile.toFile().delete();
            }
        }
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public String password() {
        return password;
    }

    @Override
    public void close() {
        try {
            run("pg_dropcluster", "--stop", version, name);
        } catch (RuntimeException e) {
            System.err.println("could not remove test cluster " + version + "/" + name + ": " + e.getMessage());
        }
    }

    private static String newestVersion() {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.filter(dir -> Files.isExecutable(dir.resolve("bin/initdb")))
                    .map(dir -> dir.getFileName().toString()).filter(version -> version.matches("\\d+"))
                    .max(Comparator.comparingInt(Integer::parseInt)).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a command with its output in a file: the postmaster that pg_ctlcluster starts would hold a pipe open. */
    private static void run(String... command) {
        String line = String.join(" ", command);
        Path log = null;
        try {
            log = Files.createTempFile("ota-test-cluster", ".log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(line + " did not finish within 120 s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(line + " failed (" + process.exitValue() + "): "
                        + Files.readString(log).strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (log != null) {
                log.toFile().delete();
            }
        }
    }
}
