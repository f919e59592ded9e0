package dev.javia.ota.server.events;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * The connection on which every instance hears what any instance wrote: revoked device tokens, the fleet's changes
 * ({@code ota.db-listen.*}; the environment names are in application.properties).
 *
 * @param url               the JDBC URL of that connection; empty for the pool's own. It must reach PostgreSQL in a
 *                          session (a direct connection or a session pooler): a transaction pooler (Supabase's
 *                          :6543, PgBouncer in transaction mode) carries no LISTEN: the token cache would never be
 *                          told of a revocation, nor the dashboard of a change
 * @param reconnectInterval how long to wait before opening it again after it broke; meanwhile tokens are looked
 *                          up on every call and the dashboard's pages are not live
 * @param checkInterval     how often a connection that has been quiet is asked whether it still answers: a
 *                          connection cut without a word (a network partition) is noticed within this and the
 *                          socket timeout
 */
@ConfigurationProperties("ota.db-listen")
record ListenSettings(
        String url,
        @DefaultValue("1s") Duration reconnectInterval,
        @DefaultValue("10s") Duration checkInterval) {

    ListenSettings {
        url = url == null || url.isBlank() ? null : url.strip();
        if (reconnectInterval.toMillis() < 10) {
            throw new IllegalArgumentException("ota.db-listen.reconnect-interval must be at least 10ms, e.g. 1s");
        }
        if (checkInterval.toMillis() < 100) {
            throw new IllegalArgumentException("ota.db-listen.check-interval must be at least 100ms, e.g. 10s");
        }
    }
}
