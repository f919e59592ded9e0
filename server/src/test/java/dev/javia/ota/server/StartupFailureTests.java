package dev.javia.ota.server;

import dev.javia.ota.server.testing.TestCluster;
import dev.javia.ota.server.testing.TestDatabase;
import dev.javia.ota.server.testing.TestDatabaseInitializer;
import dev.javia.ota.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The real server started against each way PostgreSQL can refuse it, and with weak keys: each refusal ends in one
 * short report that says what was tried and what to do, with no stack trace before it, and the keys are checked
 * before anything touches the database.
 */
@ExtendWith(OutputCaptureExtension.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class StartupFailureTests {

    @TempDir
    Path storage;

    @Test
    void aRefusedConnectionNamesTheAddressAndSaysHowToStartPostgresql(CapturedOutput output) {
        int port = closedPort();
        String report = refusedStart(output, settings("jdbc:postgresql://127.0.0.1:" + port + "/javia_ota",
                "javia_ota", ""));

        assertThat(report).contains("it tried PostgreSQL at 127.0.0.1:" + port + ", database javia_ota, user javia_ota"
                        + " (from SPRING_DATASOURCE_URL and SPRING_DATASOURCE_USERNAME)")
                .contains("Connection to 127.0.0.1:" + port + " refused")
                .contains("Start PostgreSQL there, or point SPRING_DATASOURCE_URL at the one that runs")
                .contains("sudo pg_ctlcluster 15 main start").contains("pg_isready -h 127.0.0.1 -p " + port)
                .contains("docs/troubleshooting.md");
    }

    @Test
    void aServerThatNeverAnswersTimesOutInsteadOfHangingTheStart(CapturedOutput output) throws IOException {
        try (SilentPeer peer = new SilentPeer()) {
            String report = refusedStart(output, settings(peer));

            assertThat(peer.connections()).isPositive();
            assertThat(report).contains("it tried PostgreSQL at 127.0.0.1:" + peer.port())
                    .contains("Connection attempt timed out")
                    .contains("Check that 127.0.0.1:" + peer.port() + " is PostgreSQL (not another service)");
        }
    }

    @Test
    void anUnknownRoleSaysHowToCreateIt(CapturedOutput output) {
        try (TestDatabase database = TestDatabase.create()) {
            String role = "ota_test_nobody_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));

            String report = refusedStart(output, settings(database.url(), role, ""));

            assertThat(report).contains("user " + role + " (from SPRING_DATASOURCE_URL and SPRING_DATASOURCE_USERNAME)")
                    .contains("PostgreSQL does not let user " + role + " log in")
                    .contains("role \"" + role + "\" does not exist")
                    .contains("Set SPRING_DATASOURCE_USERNAME and SPRING_DATASOURCE_PASSWORD to the server's role")
                    .contains("sudo -u postgres psql -c \"create role " + role + " login password 'CHOOSE-ONE'\"");
        }
    }

    @Test
    void aMissingDatabaseSaysHowToCreateIt(CapturedOutput output) {
        try (TestDatabase server = TestDatabase.create()) {
            String missing = "ota_test_absent_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));

            String report = refusedStart(output, settings(server.url(missing), server.user(), server.password()));

            assertThat(report).contains(", database " + missing + ", user " + server.user())
                    .contains("PostgreSQL has no database " + missing)
                    .contains("sudo -u postgres createdb -O " + server.user() + " " + missing)
                    .contains("or point SPRING_DATASOURCE_URL at the database that exists");
        }
    }

    @Test
    void aRoleThatMayNotCreateTablesSaysWhatToGrantAndNothingIsMigrated(CapturedOutput output) throws SQLException {
        String role = "ota_test_nocreate_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        try (TestDatabase database = TestDatabase.create()) {
            // the database belongs to the test's superuser; before PostgreSQL 15 everyone may create in public
            sql(database, "create role " + role + " login", "revoke create on schema public from public");
            try {
                String report = refusedStart(output, settings(database.url(), role, ""));

                assertThat(report).contains("User " + role + " may not create the server's tables in database")
                        .contains("permission denied for schema public")
                        .doesNotContain("Position:")
                        .contains("alter database " + database.name() + " owner to " + role)
                        .contains("grant usage, create on schema public to " + role);
                assertThat(tables(database)).isEmpty();
            } finally {
                sql(database, "drop role " + role);
            }
        }
    }

    @Test
    void flywaysOwnConnectionIsNamedWhenItHasOne(CapturedOutput output) {
        int datasourcePort = closedPort();
        int flywayPort = closedPort();
        Map<String, Object> settings = settings("jdbc:postgresql://127.0.0.1:" + datasourcePort + "/javia_ota",
                "javia_ota", "");
        settings.put("spring.flyway.url", "jdbc:postgresql://127.0.0.1:" + flywayPort + "/ota_migrations");
        settings.put("spring.flyway.user", "migrator");

        String report = refusedStart(output, settings);

        assertThat(report).contains("it tried PostgreSQL at 127.0.0.1:" + flywayPort + ", database ota_migrations,"
                + " user migrator (from SPRING_FLYWAY_URL and SPRING_FLYWAY_USER)")
                .contains("or point SPRING_FLYWAY_URL at the one that runs");
    }

    @Test
    void weakKeysAreReportedBeforeAnyConnectionToTheDatabase(CapturedOutput output) throws IOException {
        try (SilentPeer peer = new SilentPeer()) {
            Map<String, Object> settings = settings(peer);
            settings.put("ota.admin-api-keys", "changeme");

            String report = refusedStart(output, settings);

            assertThat(report).contains("The server's keys are missing or weak")
                    .contains("OTA_ADMIN_API_KEY named 'admin' is too short").doesNotContain("PostgreSQL");
            assertThat(peer.connections()).as("connections to the database").isZero();
        }
    }

    @Test
    void badlyNamedAdminKeysAreReportedBeforeAnyConnectionToTheDatabase(CapturedOutput output) throws IOException {
        try (SilentPeer peer = new SilentPeer()) {
            Map<String, Object> settings = settings(peer);
            settings.put("ota.admin-api-keys", "alice:" + TestDatabaseInitializer.ADMIN_KEY + ",alice:"
                    + TestDatabaseInitializer.SECOND_ADMIN_KEY + ",system:test-admin-key-third-4d7a1c9e2b");

            String report = refusedStart(output, settings);

            assertThat(report).contains("The server's keys are missing or weak (or admin keys badly named)")
                    .contains("OTA_ADMIN_API_KEY names two keys 'alice'")
                    .contains("OTA_ADMIN_API_KEY entry 3 is named 'system'")
                    .contains("as a comma-separated list of name:key").doesNotContain("PostgreSQL");
            assertThat(peer.connections()).as("connections to the database").isZero();
        }
    }

    @Test
    void weakKeysStopTheStartBeforeAnyMigration(CapturedOutput output) throws SQLException {
        try (TestDatabase database = TestDatabase.create()) {
            Map<String, Object> settings = settings(database.url(), database.user(), database.password());
            settings.put("ota.enrollment-key", TestDatabaseInitializer.ADMIN_KEY);

            String report = refusedStart(output, settings);

            assertThat(report).contains("OTA_ENROLLMENT_KEY must differ from every OTA_ADMIN_API_KEY");
            assertThat(tables(database)).as("tables Flyway made").isEmpty();
        }
    }

    /**
     * On a cluster of the test's own, whose pg_hba.conf asks for passwords and lists only its superuser: the shared
     * server trusts every connection from this machine, so it never refuses a password.
     */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class WhenPostgresqlAsksForAPassword {

        private TestCluster cluster;

        @BeforeAll
        void createCluster() {
            String why = TestCluster.unavailable();
            Assumptions.assumeTrue(why == null, () -> "skipped: " + why);
            cluster = TestCluster.create("""
                    local all all trust
                    host all postgres 127.0.0.1/32 scram-sha-256
                    """);
        }

        @AfterAll
        void removeCluster() {
            if (cluster != null) {
                cluster.close();
            }
        }

        @Test
        void aWrongPasswordSaysWhichVariableToSetAndNeverShowsIt(CapturedOutput output) throws SQLException {
            try (Connection connection = DriverManager.getConnection(cluster.url("postgres"), TestCluster.SUPERUSER,
                    cluster.password())) {
                assertThat(connection.isValid(5)).as("the right password opens the cluster").isTrue();
            }
            String wrong = "wrong-" + cluster.password();

            String report = refusedStart(output, settings(cluster.url("postgres"), TestCluster.SUPERUSER, wrong));

            assertThat(report).contains("it tried PostgreSQL at 127.0.0.1:")
                    .contains("PostgreSQL refused the password of user postgres")
                    .contains("password authentication failed for user \"postgres\"")
                    .contains("Set SPRING_DATASOURCE_PASSWORD to that role's password")
                    .contains("alter role postgres password 'NEW-PASSWORD'");
            assertThat(output.getAll()).doesNotContain(wrong).doesNotContain(cluster.password());
        }

        @Test
        void aUserPgHbaDoesNotListSaysWhatLineToAdd(CapturedOutput output) {
            String report = refusedStart(output, settings(cluster.url("postgres"), "ota_unlisted", "any-password"));

            assertThat(report).contains("PostgreSQL's pg_hba.conf has no line that lets user ota_unlisted connect to"
                            + " database postgres from this machine")
                    .contains("no pg_hba.conf entry for host \"127.0.0.1\"")
                    .contains("`host postgres ota_unlisted <this machine's address>/32 scram-sha-256`")
                    .contains("sudo systemctl reload postgresql");
        }
    }

    private Map<String, Object> settings(String url, String user, String password) {
        Map<String, Object> settings = TestDatabaseInitializer.settings(url, user, password, storage);
        settings.put("server.port", "0");
        return settings;
    }

    /** Settings pointing at a peer that never answers, with a login timeout short enough for a test. */
    private Map<String, Object> settings(SilentPeer peer) {
        Map<String, Object> settings = settings("jdbc:postgresql://127.0.0.1:" + peer.port() + "/javia_ota",
                "javia_ota", "");
        settings.put("spring.datasource.hikari.data-source-properties.loginTimeout", "1");
        return settings;
    }

    /** Starts the real server, which must refuse; answers Spring Boot's report, after checking the output is short. */
    private static String refusedStart(CapturedOutput output, Map<String, Object> settings) {
        assertThatThrownBy(() -> TestServer.run(settings).close()).isInstanceOf(RuntimeException.class);
        String all = output.getAll();
        int report = all.indexOf("APPLICATION FAILED TO START");
        assertThat(report).as("Spring Boot's failure report in:%n%s", all).isNotNegative();
        assertThat(all).as("no stack trace in the output").doesNotContain("\tat ").doesNotContain("Caused by");
        return all.substring(report).replace(System.lineSeparator(), "\n");
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sql(TestDatabase database, String... statements) throws SQLException {
        try (Connection connection = DriverManager.getConnection(database.url(), database.user(), database.password());
             Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    private static List<String> tables(TestDatabase database) throws SQLException {
        try (Connection connection = DriverManager.getConnection(database.url(), database.user(), database.password());
             Statement statement = connection.createStatement();
             var rows = statement.executeQuery("select table_name from information_schema.tables"
                     + " where table_schema = 'public'")) {
            List<String> tables = new ArrayList<>();
            while (rows.next()) {
                tables.add(rows.getString(1));
            }
            return tables;
        }
    }

    /** Accepts TCP connections on loopback and never says a word, as a stuck server or another service would. */
    private static final class SilentPeer implements AutoCloseable {

        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();

        SilentPeer() throws IOException {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(socket.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "silent-peer");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        int connections() {
            return accepted.size();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket connection : accepted) {
                connection.close();
            }
        }
    }
}
