package dev.javia.ota.server.security;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * The connection on which every instance hears of revoked device tokens ({@code ota.token-listener.*}; the
 * environment names are in application.properties).
 *
 * @param url               the JDBC URL of that connection; empty for the pool's own. It must reach PostgreSQL in a
 *                          session (a direct connection or a session pooler): a transaction pooler (Supabase's
 *                          :6543, PgBouncer in transaction mode) carries no LISTEN, and the cache would never be
 *                          told of a revocation
 * @param reconnectInterval how long to wait before opening it again after it broke; meanwhile tokens are looked
 *                          up on every call
 * @param checkInterval     how often a connection that has been quiet is asked whether it still answers: a
 *                          connection cut without a word (a network partition) is noticed within this and the
 *                          socket timeout
 */
@ConfigurationProperties("ota.token-listener")
record TokenListenerSettings(
        String url,
        @DefaultValue("1s") Duration reconnectInterval,
        @DefaultValue("10s") Duration checkInterval) {

    TokenListenerSettings {
        url = url == null || url.isBlank() ? null : url.strip();
        if (reconnectInterval.toMillis() < 10) {
            throw new IllegalArgumentException("ota.token-listener.reconnect-interval must be at least 10ms, e.g. 1s");
        }
        if (checkInterval.toMillis() < 100) {
            throw new IllegalArgumentException("ota.token-listener.check-interval must be at least 100ms, e.g. 10s");
        }
    }
}
