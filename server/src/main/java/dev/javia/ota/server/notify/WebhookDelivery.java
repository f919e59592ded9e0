package dev.javia.ota.server.notify;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The job that posts the outbox's events, signed, and retries what failed. It runs on the server's timer
 * ({@code Jobs}), never on a request thread. A run claims one due delivery at a time with {@code FOR UPDATE SKIP
 * LOCKED} and leases it (moves its next attempt past the longest a try can take) in that one committed statement, so
 * that no transaction stays open while the receiver is called and no other server instance takes the same row; a
 * server that dies in the middle leaves the row to be tried again when the lease ends.
 */
@Component
public class WebhookDelivery {

    private static final Logger log = LoggerFactory.getLogger(WebhookDelivery.class);

    static final String SIGNATURE_HEADER = "X-Javia-Signature";
    static final String TIMESTAMP_HEADER = "X-Javia-Timestamp";
    static final String EVENT_ID_HEADER = "X-Javia-Event-Id";
    static final String EVENT_HEADER = "X-Javia-Event";
    private static final int SHOWN_ANSWER = 200;

    private final JdbcClient jdbc;
    private final Destinations destinations;
    private final WebhookSettings settings;
    private final Clock clock;
    private final HttpClient client;

    WebhookDelivery(JdbcClient jdbc, Destinations destinations, WebhookSettings settings, Clock clock) {
        this.jdbc = jdbc;
        this.destinations = destinations;
        this.settings = settings;
        this.clock = clock;
        // one client for every delivery; a redirect is an answer like any other (following it could lead past the
        // address check)
        this.client = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .proxy(HttpClient.Builder.NO_PROXY)
                .build();
    }

    /**
     * Delivers what is due until nothing is, or until the next try might not end within the run's budget; answers
     * how many deliveries were tried.
     */
    public int tick() {
        long deadline = System.nanoTime() + settings.tickBudget().toNanos();
        int tried = 0;
        while (deadline - System.nanoTime() >= settings.requestTimeout().toNanos()) {
            Claimed claimed = claim();
            if (claimed == null) {
                break;
            }
            record(claimed, attempt(claimed));
            tried++;
        }
        return tried;
    }

    /** One due delivery, leased to this run; null when none is due. */
    private Claimed claim() {
        Instant now = clock.instant();
        Instant leaseEnds = now.plus(settings.requestTimeout().multipliedBy(2)).plus(Duration.ofMinutes(1));
        return jdbc.sql("""
                        update webhook_deliveries d set attempts = d.attempts + 1, next_attempt_at = :leaseEnds
                        from (select due.id from webhook_deliveries due
                              join webhooks w on w.id = due.webhook_id and w.enabled
                              where due.status = 'pending' and due.next_attempt_at <= :now
                              order by due.next_attempt_at
                              limit 1
                              for update of due skip locked) claimed, webhooks w
                        where d.id = claimed.id and w.id = d.webhook_id
                        returning d.id, d.webhook_id, d.event_id, d.event_type, d.body::text as body, d.created_at,
                                  d.attempts, w.url, w.secret
                        """)
                .param("now", Timestamp.from(now)).param("leaseEnds", Timestamp.from(leaseEnds))
                .query(WebhookDelivery::claimed).optional().orElse(null);
    }

    private Outcome attempt(Claimed delivery) {
        URI uri = URI.create(delivery.url());
        String refused = destinations.refusal(uri);
        if (refused != null) {
            return Outcome.error(refused);
        }
        String body = wireBody(delivery.body());
        String timestamp = Long.toString(clock.instant().getEpochSecond());
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(settings.requestTimeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "javia-ota-webhooks/1")
                .header(EVENT_ID_HEADER, delivery.eventId().toString())
                .header(EVENT_HEADER, delivery.event())
                .header(TIMESTAMP_HEADER, timestamp)
                .header(SIGNATURE_HEADER, signature(delivery.secret(), timestamp, body))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        CompletableFuture<HttpResponse<byte[]>> sent = client.sendAsync(request,
                info -> new CappedBody((int) settings.maxResponseSize().toBytes()));
        try {
            // the whole try, answer included, within the request timeout: a receiver that answers its headers and
            // then dribbles its body is cut too
            HttpResponse<byte[]> answer = sent.get(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
            if (answer.statusCode() / 100 == 2) {
                return new Outcome(true, answer.statusCode(), null);
            }
            return new Outcome(false, answer.statusCode(), "the receiver answered " + answer.statusCode()
                    + (answer.statusCode() / 100 == 3 ? " (redirects are not followed: subscribe the final URL)" : "")
                    + shown(answer.body()));
        } catch (TimeoutException e) {
            sent.cancel(true);
            return Outcome.error("no answer within " + settings.requestTimeout().toSeconds() + "s");
        } catch (ExecutionException e) {
            return Outcome.error(networkError(e.getCause()));
        } catch (InterruptedException e) {
            sent.cancel(true);
            Thread.currentThread().interrupt();
            return Outcome.error("the server stopped while delivering");
        }
    }

    private String networkError(Throwable cause) {
        if (cause instanceof HttpConnectTimeoutException) {
            return "could not connect within " + settings.connectTimeout().toSeconds() + "s";
        }
        if (cause instanceof HttpTimeoutException) {
            return "no answer within " + settings.requestTimeout().toSeconds() + "s";
        }
        if (cause instanceof ConnectException) {
            return "could not connect: the connection was refused";
        }
        String message = cause.getMessage() == null ? "" : ": " + cause.getMessage();
        return "could not deliver (" + cause.getClass().getSimpleName() + message + ")";
    }

    private void record(Claimed delivery, Outcome outcome) {
        Instant now = clock.instant();
        if (outcome.delivered()) {
            jdbc.sql("""
                    update webhook_deliveries set status = 'delivered', delivered_at = :now, last_status = :status,
                           last_error = null
                    where id = :id
                    """)
                    .param("id", delivery.id()).param("now", Timestamp.from(now)).param("status", outcome.status())
                    .update();
            log.info("webhook delivered delivery_id={} webhook_id={} event={} attempts={}", delivery.id(),
                    delivery.webhookId(), delivery.event(), delivery.attempts());
            return;
        }
        Instant next = now.plus(backoff(delivery.attempts()));
        boolean givenUp = next.isAfter(delivery.createdAt().plus(settings.giveUpAfter()));
        jdbc.sql("""
                update webhook_deliveries set status = :state, next_attempt_at = :next, last_status = :status,
                       last_error = :error
                where id = :id
                """)
                .param("id", delivery.id()).param("state", givenUp ? "failed" : "pending")
                .param("next", Timestamp.from(next)).param("status", outcome.status())
                .param("error", outcome.error())
                .update();
        log.info("webhook {} delivery_id={} webhook_id={} event={} attempts={} error=\"{}\"",
                givenUp ? "given up" : "retry", delivery.id(), delivery.webhookId(), delivery.event(),
                delivery.attempts(), outcome.error());
    }

    /**
     * The wait after the {@code attempts}-th failure: doubling from the first retry, capped, and drawn at random in
     * its upper half, so that the deliveries of one outage do not all come back at the same moment.
     */
    Duration backoff(int attempts) {
        Duration cap = settings.maxRetry();
        Duration wait = settings.firstRetry();
        for (int i = 1; i < attempts && wait.compareTo(cap) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        wait = wait.compareTo(cap) > 0 ? cap : wait;
        long half = wait.toMillis() / 2;
        return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(half + 1));
    }

    /** {@code sha256=} and the hex HMAC-SHA256 of {@code <timestamp>.<body>} keyed with the webhook's secret. */
    static String signature(String secret, String timestamp, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] signed = mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
            return "sha256=" + HexFormat.of().formatHex(signed);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** The stored body with its fields in the documented order (jsonb keeps its own order). */
    private static String wireBody(String stored) {
        JsonNode node = Notifications.JSON.readTree(stored);
        Map<String, Object> ordered = new LinkedHashMap<>();
        for (String field : List.of("id", "event", "occurred_at", "text", "data")) {
            ordered.put(field, node.get(field));
        }
        return Notifications.JSON.writeValueAsString(ordered);
    }

    private static String shown(byte[] answer) {
        if (answer == null || answer.length == 0) {
            return "";
        }
        String text = new String(answer, StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", " ").strip();
        return text.isEmpty() ? "" : ": " + (text.length() > SHOWN_ANSWER ? text.substring(0, SHOWN_ANSWER) + "..."
                : text);
    }

    private static Claimed claimed(ResultSet rs, int row) throws SQLException {
        return new Claimed(rs.getObject("id", UUID.class), rs.getObject("webhook_id", UUID.class),
                rs.getObject("event_id", UUID.class),
                rs.getString("event_type"), rs.getString("body"), rs.getTimestamp("created_at").toInstant(),
                rs.getInt("attempts"), rs.getString("url"), rs.getString("secret"));
    }

    private record Claimed(UUID id, UUID webhookId, UUID eventId, String event, String body, Instant createdAt,
            int attempts, String url, String secret) {
    }

    private record Outcome(boolean delivered, Integer status, String error) {

        static Outcome error(String error) {
            return new Outcome(false, null, error);
        }
    }

    /** Keeps the first {@code limit} bytes of an answer and stops reading there. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {

        private final int limit;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        CappedBody(int limit) {
            this.limit = limit;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            for (ByteBuffer buffer : buffers) {
                int take = Math.min(buffer.remaining(), limit - kept.size());
                byte[] bytes = new byte[take];
                buffer.get(bytes);
                kept.write(bytes, 0, take);
            }
            if (kept.size() >= limit) {
                subscription.cancel();
                result.complete(kept.toByteArray());
            } else {
                subscription.request(1);
            }
        }

        @Override
        public void onError(Throwable failure) {
            result.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            result.complete(kept.toByteArray());
        }
    }
}
