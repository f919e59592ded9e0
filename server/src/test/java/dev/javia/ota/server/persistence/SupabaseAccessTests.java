package dev.javia.ota.server.persistence;

import dev.javia.ota.server.testing.TestCluster;
import dev.javia.ota.server.testing.TestDatabase;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The migrations as they run on Supabase: on a database where db/supabase/emulate.sql recreated Supabase's roles,
 * grants and Realtime publication first, what the Data API's roles may see; and on plain PostgreSQL, that they still
 * run. The roles are the PostgreSQL server's, not one database's: those this class had to create are dropped at
 * the end when nothing else uses them.
 */
class SupabaseAccessTests {

    private static final Path EMULATION = Path.of("..", "db", "supabase", "emulate.sql");
    private static final List<String> SUPABASE_ROLES = List.of("anon", "authenticated", "service_role", "authenticator");
    /** What the seed's real-time tracking reads with the service key: device_updates with its updates and devices. */
    private static final List<String> TRACKED = List.of("devices", "updates", "device_updates");

    /**
     * Flyway's history table has no row-level security: a migration cannot enable it (Flyway holds the table locked
     * while it runs), docs/operations.md has the statement for Supabase.
     */
    private static final String OUR_TABLES = "relnamespace = 'public'::regnamespace and relkind in ('r', 'p')"
            + " and relname <> 'flyway_schema_history'";

    private static final Set<String> rolesCreatedHere = new HashSet<>();
    private static TestDatabase supabase;

    @BeforeAll
    static void migrateOverTheEmulation() throws Exception {
        supabase = TestDatabase.create();
        try (Connection connection = connect(supabase); Statement statement = connection.createStatement()) {
            for (String role : SUPABASE_ROLES) {
                if (!exists(statement, "select 1 from pg_roles where rolname = '" + role + "'")) {
                    rolesCreatedHere.add(role);
                }
            }
            statement.execute(Files.readString(EMULATION));
        }
        migrate(supabase.url(), supabase.user(), supabase.password());
        try (Connection connection = connect(supabase); Statement statement = connection.createStatement()) {
            UUID device = UUID.randomUUID();
            UUID update = UUID.randomUUID();
            statement.execute("insert into devices (id, device_uuid, timezone) values ('" + device
                    + "', 'pi-kitchen', 'Europe/Berlin')");
            statement.execute("insert into updates (id, version, update_type, package_url, sha256, size_bytes,"
                    + " storage_key, version_major, version_minor, version_patch) values ('" + update
                    + "', 'v1.2.3', 'scheduled', '/api/v1/updates/v1.2.3/download', '" + "ab".repeat(32)
                    + "', 1024, 'v1.2.3.zip', 1, 2, 3)");
            statement.execute("insert into device_updates (id, device_id, update_id, scheduled_for) values ('"
                    + UUID.randomUUID() + "', '" + device + "', '" + update + "', now())");
        }
    }

    @AfterAll
    static void dropWhatThisClassMade() {
        if (supabase != null) {
            supabase.close();
        }
        // Another database may have been given grants to them meanwhile: then they stay, as the server's roles.
        for (String role : List.of("authenticator", "service_role", "authenticated", "anon")) {
            if (rolesCreatedHere.contains(role)) {
                dropRoleQuietly(role);
            }
        }
    }

    @Test
    void everyTableHasRowLevelSecurityWithoutForcingItAndNoPolicyForTheDataApisRoles() throws SQLException {
        try (Connection connection = connect(supabase); Statement statement = connection.createStatement()) {
            List<String> withoutRls = strings(statement, "select relname from pg_class where " + OUR_TABLES
                    + " and (not relrowsecurity or relforcerowsecurity)");
            List<String> openPolicies = strings(statement, "select tablename || ' ' || policyname from pg_policies"
                    + " where roles && array['anon', 'authenticated', 'public']::name[]");

            assertThat(tables(statement)).contains("devices", "updates", "device_updates", "rollouts", "audit_log",
                    "webhooks", "dashboard_sessions", "device_challenges");
            assertThat(withoutRls).as("tables without row-level security, or forcing it on their owner").isEmpty();
            assertThat(openPolicies).as("policies that let the anon or a user's key in").isEmpty();
        }
    }

    @Test
    void theAnonAndAuthenticatedRolesReadNothingFromAnyTable() throws SQLException {
        try (Connection connection = connect(supabase); Statement statement = connection.createStatement()) {
            List<String> tables = tables(statement);
            assertThat(count(statement, "device_updates")).as("rows the owner sees").isEqualTo(1);
            for (String role : List.of("anon", "authenticated")) {
                statement.execute("set role " + role);
                for (String table : tables) {
                    assertThat(count(statement, table)).as(role + " reading " + table).isZero();
                }
                statement.execute("reset role");
            }
        }
    }

    @Test
    void theAnonAndAuthenticatedRolesCanWriteNoTable() throws SQLException {
        try (Connection connection = connect(supabase); Statement statement = connection.createStatement()) {
            List<String> tables = tables(statement);
            for (String role : List.of("anon", "authenticated")) {
                statement.execute("set role " + role);
                for (String table : tables) {
                    assertThatThrownBy(() -> statement.execute("insert into " + table + " default values"))
                            .as(role + " inserting into " + table).isInstanceOf(SQLException.class)
                            .hasMessageContaining("row-level security")
                            .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("42501");
                    assertThat(statement.executeUpdate("delete from " + table)).as(role + " deleting from " + table)
                            .isZero();
                }
                statement.execute("reset role");
            }
            assertThat(count(statement, "device_updates")).as("rows left").isEqualTo(1);
        }
    }

    @Test
    void theServiceRoleReadsWhatTheSeedsRealtimeTrackingReads() throws SQLException {
        try (Connection connection = connect(supabase); Statement statement = connection.createStatement()) {
            statement.execute("set role service_role");
            for (String table : TRACKED) {
                assertThat(count(statement, table)).as("service_role reading " + table).isEqualTo(1);
            }
            assertThat(strings(statement, "select d.device_uuid || ' ' || u.version || ' ' || du.status"
                    + " from device_updates du join updates u on u.id = du.update_id join devices d on d.id = du.device_id"
                    + " where du.status = 'pending'")).containsExactly("pi-kitchen v1.2.3 pending");
        }
    }

    @Test
    void withoutBypassingRowLevelSecurityTheServiceRolesPolicyOpensTheTrackedTablesAndNothingElse() throws SQLException {
        String member = "ota_test_service_member_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        try (Connection connection = connect(supabase); Statement statement = connection.createStatement()) {
            assertThat(count(statement, "fleet_count_changes")).as("rows the owner sees").isPositive();
            statement.execute("create role " + member + " nologin inherit nobypassrls in role service_role");
            try {
                statement.execute("set role " + member);
                for (String table : TRACKED) {
                    assertThat(count(statement, table)).as(member + " reading " + table).isEqualTo(1);
                }
                assertThat(count(statement, "fleet_count_changes")).as(member + " reading fleet_count_changes").isZero();
                assertThatThrownBy(() -> statement.execute("insert into devices (id, device_uuid, timezone)"
                        + " values (gen_random_uuid(), 'pi-other', 'UTC')")).isInstanceOf(SQLException.class)
                        .hasMessageContaining("row-level security");
            } finally {
                statement.execute("reset role");
                statement.execute("drop owned by " + member);
                statement.execute("drop role " + member);
            }
        }
    }

    @Test
    void realtimePublishesExactlyDeviceUpdates() throws SQLException {
        try (Connection connection = connect(supabase); Statement statement = connection.createStatement()) {
            assertThat(strings(statement, "select schemaname || '.' || tablename from pg_publication_tables"
                    + " where pubname = 'supabase_realtime'")).containsExactly("public.device_updates");
        }
    }

    @Test
    void theEmulationAndTheAccessMigrationRunAgainChangeNothing() throws Exception {
        try (Connection connection = connect(supabase); Statement statement = connection.createStatement()) {
            String before = accessState(statement);

            statement.execute(Files.readString(EMULATION));
            statement.execute(Files.readString(Path.of("..", "db", "migration", "V16__supabase_access.sql")));

            assertThat(accessState(statement)).isEqualTo(before);
        }
    }

    @Test
    void theMigrationsRunOnPlainPostgresqlWhereOtherDatabasesHaveSupabasesRoles() throws SQLException {
        try (TestDatabase plain = TestDatabase.create()) {
            migrate(plain.url(), plain.user(), plain.password());
            try (Connection connection = connect(plain); Statement statement = connection.createStatement()) {
                assertThat(strings(statement, "select relname from pg_class where " + OUR_TABLES
                        + " and not relrowsecurity")).isEmpty();
                assertThat(exists(statement, "select 1 from pg_publication")).isFalse();
            }
        }
    }

    @Test
    void theMigrationsRunOnAPostgresqlServerThatHasNeverHeardOfSupabase() throws SQLException {
        String unavailable = TestCluster.unavailable();
        assumeTrue(unavailable == null, unavailable);
        try (TestCluster cluster = TestCluster.create("""
                local all all trust
                host all postgres 127.0.0.1/32 scram-sha-256
                """)) {
            migrate(cluster.url("postgres"), TestCluster.SUPERUSER, cluster.password());
            try (Connection connection = DriverManager.getConnection(cluster.url("postgres"), TestCluster.SUPERUSER,
                    cluster.password()); Statement statement = connection.createStatement()) {
                assertThat(exists(statement, "select 1 from pg_roles where rolname in ('anon', 'service_role')"))
                        .isFalse();
                assertThat(strings(statement, "select version::text from flyway_schema_history where success"
                        + " order by installed_rank desc limit 1")).containsExactly(newestMigration());
                assertThat(strings(statement, "select relname from pg_class where " + OUR_TABLES
                        + " and not relrowsecurity")).isEmpty();
                assertThat(exists(statement, "select 1 from pg_policies")).isFalse();
            }
        }
    }

    /** Roles' table privileges, policies, row-level security flags and the publication's tables, as one text. */
    private static String accessState(Statement statement) throws SQLException {
        List<String> state = new ArrayList<>();
        state.addAll(strings(statement, "select grantee || ' ' || table_name || ' ' || privilege_type"
                + " from information_schema.role_table_grants where table_schema = 'public'"
                + " and grantee in ('anon', 'authenticated', 'service_role') order by 1"));
        state.addAll(strings(statement, "select tablename || ' ' || policyname || ' ' || roles::text || ' ' || qual"
                + " from pg_policies order by 1"));
        state.addAll(strings(statement, "select relname || ' ' || relrowsecurity || ' ' || relforcerowsecurity"
                + " from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') order by 1"));
        state.addAll(strings(statement, "select pubname || ' ' || tablename from pg_publication_tables order by 1"));
        return String.join("\n", state);
    }

    private static String newestMigration() {
        try (var files = Files.list(Path.of("..", "db", "migration"))) {
            return String.valueOf(files.map(file -> file.getFileName().toString())
                    .filter(name -> name.matches("V\\d+__.*\\.sql"))
                    .mapToInt(name -> Integer.parseInt(name.substring(1, name.indexOf("__")))).max().orElseThrow());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void migrate(String url, String user, String password) {
        Flyway.configure().dataSource(url, user, password).locations("classpath:db/migration").load().migrate();
    }

    private static Connection connect(TestDatabase database) throws SQLException {
        return DriverManager.getConnection(database.url(), database.user(), database.password());
    }

    private static List<String> tables(Statement statement) throws SQLException {
        return strings(statement, "select quote_ident(relname) from pg_class where " + OUR_TABLES + " order by 1");
    }

    private static long count(Statement statement, String table) throws SQLException {
        try (ResultSet rows = statement.executeQuery("select count(*) from " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static boolean exists(Statement statement, String query) throws SQLException {
        try (ResultSet rows = statement.executeQuery(query)) {
            return rows.next();
        }
    }

    private static List<String> strings(Statement statement, String query) throws SQLException {
        List<String> values = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery(query)) {
            while (rows.next()) {
                values.add(rows.getString(1));
            }
        }
        return values;
    }

    private static void dropRoleQuietly(String role) {
        try (Connection connection = DriverManager.getConnection(supabase.url("postgres"), supabase.user(),
                supabase.password()); Statement statement = connection.createStatement()) {
            statement.execute("drop role if exists " + role);
        } catch (SQLException e) {
            System.err.println("left role " + role + " in place: " + e.getMessage());
        }
    }
}
