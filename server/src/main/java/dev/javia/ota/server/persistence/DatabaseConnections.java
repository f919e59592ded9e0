package dev.javia.ota.server.persistence;

import com.zaxxer.hikari.HikariDataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.time.Instant;

/**
 * The database connections' policy for outages: fail fast, notice at once, recover alone. Spring Boot's Hikari
 * pool is configured for it and put behind the gate (a post-processor, so that every user of the DataSource
 * bean, Flyway, JPA and JdbcClient alike, goes through the gate), and readiness's "db" answers from the probe.
 */
@Configuration(proxyBeanMethods = false)
class DatabaseConnections {

    @Bean
    static BeanPostProcessor gatedPool(ObjectProvider<DatabaseSettings> settings) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof HikariDataSource pool) {
                    DatabaseSettings database = settings.getObject();
                    configure(pool, database);
                    return new GatedDataSource(pool, new DatabaseAvailability(pool, database.probeInterval()));
                }
                return bean;
            }
        };
    }

    /**
     * Hikari waits 30 s for a connection by default, and pgjdbc forever for an answer: with the database gone every
     * request then hung for 30 s. A request now waits at most the connection timeout; idle connections are checked
     * within half of it; a statement stuck in a network partition ends after the socket timeout (kept long, as it
     * cuts long statements too), and TCP keep-alives find dead peers on idle connections. The pool keeps no
     * minimum of idle connections: with a minimum, Hikari keeps retrying through an outage, its backoff grows to
     * 5 s, and the first requests after the database returns would wait for that retry; without one it opens a
     * connection as soon as a request asks. A setting given in the URL (socketTimeout=...) wins over these.
     */
    static void configure(HikariDataSource pool, DatabaseSettings settings) {
        long timeout = settings.connectionTimeout().toMillis();
        pool.setConnectionTimeout(timeout);
        pool.setValidationTimeout(timeout / 2);
        if (pool.getMinimumIdle() < 0) { // not set (spring.datasource.hikari.minimum-idle)
            pool.setMinimumIdle(0);
        }
        pool.getDataSourceProperties().putIfAbsent("socketTimeout",
                Long.toString(settings.socketTimeout().toSeconds()));
        pool.getDataSourceProperties().putIfAbsent("tcpKeepAlive", "true");
    }

    @Bean
    DatabaseAvailability databaseAvailability(DataSource dataSource) throws SQLException {
        return dataSource.unwrap(GatedDataSource.class).availability();
    }

    /** Readiness's "db" (the name replaces Spring Boot's indicator): the probe's last answer, without a query. */
    @Bean
    HealthIndicator dbHealthIndicator(DatabaseAvailability availability) {
        return () -> {
            Instant since = availability.downSince();
            return since == null ? Health.up().build()
                    : Health.down().withDetail("since", since.toString()).withDetail("error", availability.lastFailure())
                            .build();
        };
    }
}
