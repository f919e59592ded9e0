package dev.javia.ota.server.persistence;

import org.flywaydb.core.api.FlywayException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.env.Environment;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.regex.Pattern;

/**
 * Turns PostgreSQL's refusal at start-up (unreachable, wrong password, no such role or database, no right to create
 * the tables) into Spring Boot's short "APPLICATION FAILED TO START" report: what was tried (host, port, database,
 * user; never the password), why it failed, and what to set or run. It reads the SQLState of the deepest
 * {@link SQLException}, which does not depend on PostgreSQL's language nor on how Hikari, Flyway and the bean factory
 * wrapped it; anything else is left to Spring Boot's own report.
 */
class DatabaseFailureAnalyzer implements FailureAnalyzer {

    private static final String MORE = " Then start the server again; more in docs/troubleshooting.md, \"Server Does Not Start\".";
    private static final Pattern SIMPLE_NAME = Pattern.compile("[a-z_][a-z0-9_]*");

    private final Environment environment;

    DatabaseFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    public FailureAnalysis analyze(Throwable failure) {
        SQLException refusal = null;
        boolean migrating = false;
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            refusal = cause instanceof SQLException sql ? sql : refusal;
            migrating |= cause instanceof FlywayException;
        }
        if (refusal == null || refusal.getSQLState() == null || environment == null) {
            return null;
        }
        Target target = Target.of(environment, migrating);
        String state = refusal.getSQLState();
        String said = firstLine(refusal.getMessage());
        if (state.startsWith("08")) {
            return unreachable(target, refusal, said);
        }
        String user = target.user();
        String db = target.database();
        return switch (state) {
            case "28P01" -> analysis(target, "PostgreSQL refused the password of user " + user + " (" + said + ").",
                    "Set " + target.passwordVariable() + " to that role's password, or give the role a new one on the"
                            + " database machine: sudo -u postgres psql -c \"alter role " + ident(user)
                            + " password 'NEW-PASSWORD'\".", refusal);
            case "28000" -> said.contains("pg_hba.conf")
                    ? analysis(target, "PostgreSQL's pg_hba.conf has no line that lets user " + user
                            + " connect to database " + db + " from this machine (" + said + ").",
                    "On the database machine, add a line such as `host " + db + " " + user
                            + " <this machine's address>/32 scram-sha-256` to pg_hba.conf (`sudo -u postgres psql -tAc"
                            + " 'show hba_file'` says where it is) and reload: sudo systemctl reload postgresql."
                            + " A server that accepts only TLS needs ?sslmode=require in " + target.urlVariable() + ".",
                    refusal)
                    : analysis(target, "PostgreSQL does not let user " + user + " log in: there is no such role, or"
                            + " it may not log in (" + said + ").",
                    "Set " + target.userVariable() + " and " + target.passwordVariable() + " to the server's role,"
                            + " or create it on the database machine: sudo -u postgres psql -c \"create role "
                            + ident(user) + " login password 'CHOOSE-ONE'\" (a role that exists but may not log in:"
                            + " alter role " + ident(user) + " login).", refusal);
            case "3D000" -> analysis(target, "PostgreSQL has no database " + db + " (" + said + ").",
                    "Create it, owned by the server's role: sudo -u postgres createdb -O " + ident(user) + " "
                            + ident(db) + " (server/run.sh does this for a local database), or point "
                            + target.urlVariable() + " at the database that exists.", refusal);
            case "42501" -> analysis(target, "User " + user + " may not " + (migrating
                            ? "create the server's tables" : "use the server's tables") + " in database " + db
                            + " (" + said + ").",
                    "Make " + user + " the owner of the database, as docs/operations.md sets it up: sudo -u postgres"
                            + " psql -c \"alter database " + ident(db) + " owner to " + ident(user) + "\"; from"
                            + " PostgreSQL 15 the owner may create tables in schema public. On older versions, or to"
                            + " keep the owner, grant it instead: sudo -u postgres psql -d " + ident(db)
                            + " -c \"grant usage, create on schema public to " + ident(user) + "\".", refusal);
            case "53300" -> analysis(target, "PostgreSQL has no connection left for the server (" + said + ").",
                    "Find who holds them (sudo -u postgres psql -c \"select usename, application_name, count(*) from"
                            + " pg_stat_activity group by 1, 2\"), lower OTA_DB_POOL_SIZE (connections per server,"
                            + " default 16) or raise PostgreSQL's max_connections.", refusal);
            case "57P03" -> analysis(target, "PostgreSQL is starting up, shutting down or recovering, and accepts no"
                            + " connections yet (" + said + ").",
                    "Wait until it is up (pg_isready -h " + target.host() + " -p " + target.port() + "); under"
                            + " systemd the server's Restart=on-failure starts it again by itself. If it stays so,"
                            + " PostgreSQL's log says why (/var/log/postgresql/).", refusal);
            default -> null;
        };
    }

    private static FailureAnalysis unreachable(Target target, SQLException refusal, String said) {
        String check = "`pg_isready -h " + target.host() + " -p " + target.port() + "` checks it.";
        String action;
        if (has(refusal, UnknownHostException.class)) {
            action = "Correct the host name in " + target.urlVariable() + " (jdbc:postgresql://HOST:PORT/DATABASE), or"
                    + " make it resolvable on this machine (`getent hosts " + target.host() + "`).";
        } else if (has(refusal, ConnectException.class)) {
            action = "Start PostgreSQL there, or point " + target.urlVariable() + " at the one that runs"
                    + " (jdbc:postgresql://HOST:PORT/DATABASE). On Debian, `pg_lsclusters` lists this machine's"
                    + " clusters and `sudo pg_ctlcluster 15 main start` starts one (or `sudo systemctl start"
                    + " postgresql`); " + check;
        } else if (has(refusal, SocketTimeoutException.class) || has(refusal, NoRouteToHostException.class)
                || said.contains("timed out")) {
            action = "Check that " + target.host() + ":" + target.port() + " is PostgreSQL (not another service) and"
                    + " that no firewall drops the connection; " + check + " Then correct " + target.urlVariable()
                    + " or the network.";
        } else {
            action = "Check " + target.urlVariable() + " (jdbc:postgresql://HOST:PORT/DATABASE, ?sslmode=require when"
                    + " the server demands TLS) and that PostgreSQL runs there; " + check;
        }
        return analysis(target, "The server could not reach PostgreSQL: " + said, action, refusal);
    }

    private static FailureAnalysis analysis(Target target, String why, String action, SQLException refusal) {
        return new FailureAnalysis("The server cannot start: it tried PostgreSQL at " + target.host() + ":"
                + target.port() + ", database " + target.database() + ", user " + target.user() + " (from "
                + target.urlVariable() + " and " + target.userVariable() + "). " + why, action + MORE, refusal);
    }

    private static boolean has(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    /** PostgreSQL's messages continue on further lines (a position, a hint) that say nothing to an operator here. */
    private static String firstLine(String message) {
        if (message == null) {
            return "no message";
        }
        int end = message.indexOf('\n');
        return (end < 0 ? message : message.substring(0, end)).strip();
    }

    /** A name as it goes into the suggested command: bare when PostgreSQL would keep it as it is, else quoted. */
    private static String ident(String name) {
        return SIMPLE_NAME.matcher(name).matches() ? name : "\\\"" + name.replace("\"", "") + "\\\"";
    }

    /**
     * The connection that failed, as Spring Boot makes it: Flyway's own {@code spring.flyway.url}, {@code user} and
     * {@code password} where set (each falls back to the datasource's), else the datasource's. Read from the URL,
     * never its parameters, which may hold a password.
     */
    record Target(String host, String port, String database, String user, String urlVariable, String userVariable,
                  String passwordVariable) {

        static Target of(Environment environment, boolean migrating) {
            boolean flywayUrl = migrating && environment.containsProperty("spring.flyway.url");
            boolean flywayUser = migrating && environment.containsProperty("spring.flyway.user");
            boolean flywayPassword = migrating && environment.containsProperty("spring.flyway.password");
            String url = environment.getProperty(flywayUrl ? "spring.flyway.url" : "spring.datasource.url", "");
            String user = environment.getProperty(flywayUser ? "spring.flyway.user" : "spring.datasource.username",
                    "");
            String host = "localhost";
            String port = "5432";
            String rest = url.startsWith("jdbc:postgresql:") ? url.substring("jdbc:postgresql:".length()) : "";
            int query = rest.indexOf('?');
            rest = query < 0 ? rest : rest.substring(0, query);
            if (rest.startsWith("//")) {
                int slash = rest.indexOf('/', 2);
                // the first of the hosts a URL may list (host1:port1,host2:port2)
                String authority = rest.substring(2, slash < 0 ? rest.length() : slash).split(",")[0];
                rest = slash < 0 ? "" : rest.substring(slash + 1);
                int colon = authority.lastIndexOf(':');
                if (colon > authority.lastIndexOf(']')) {
                    host = authority.substring(0, colon);
                    port = authority.substring(colon + 1);
                } else if (!authority.isEmpty()) {
                    host = authority;
                }
            }
            String database = rest.isEmpty() ? user : rest;
            return new Target(host, port, database, user.isEmpty() ? "(none set)" : user,
                    flywayUrl ? "SPRING_FLYWAY_URL" : "SPRING_DATASOURCE_URL",
                    flywayUser ? "SPRING_FLYWAY_USER" : "SPRING_DATASOURCE_USERNAME",
                    flywayPassword ? "SPRING_FLYWAY_PASSWORD" : "SPRING_DATASOURCE_PASSWORD");
        }
    }
}
