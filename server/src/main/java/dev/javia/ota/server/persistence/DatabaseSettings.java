package dev.javia.ota.server.persistence;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * How the server talks to its database when the database is gone or slow ({@code ota.db.*}; the environment names
 * are in application.properties).
 *
 * @param connectionTimeout how long a request waits for a pooled connection before it is answered 503; also the
 *                          bound of logging in on a new connection and of each probe
 * @param socketTimeout     how long a statement may go without a word from the database before its connection is
 *                          given up (pgjdbc's socketTimeout): what ends a request caught in a network partition.
 *                          It also cuts a statement that runs longer, so it stays above the longest one (publishing
 *                          to a large fleet: about a minute at a million devices)
 * @param probeInterval     how often the probe asks whether the database answers; readiness and the gate follow its
 *                          last answer, so this is how soon an outage and a recovery are noticed
 */
@ConfigurationProperties("ota.db")
public record DatabaseSettings(
        @DefaultValue("2s") Duration connectionTimeout,
        @DefaultValue("5m") Duration socketTimeout,
        @DefaultValue("1s") Duration probeInterval) {

    public DatabaseSettings {
        if (connectionTimeout.toMillis() < 500) {
            throw new IllegalArgumentException("ota.db.connection-timeout must be at least 500ms, e.g. 2s");
        }
        if (socketTimeout.isNegative() || !socketTimeout.isZero() && socketTimeout.toSeconds() < 1
                || socketTimeout.toSeconds() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("ota.db.socket-timeout must be 0 (no limit) or at least 1s, e.g. 5m");
        }
        if (probeInterval.toMillis() < 100) {
            throw new IllegalArgumentException("ota.db.probe-interval must be at least 100ms, e.g. 1s");
        }
    }
}
