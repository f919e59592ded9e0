package dev.javia.ota.server.notify;

import com.github.f4b6a3.uuid.UuidCreator;
import dev.javia.ota.protocol.api.DeliveryStatus;
import dev.javia.ota.protocol.api.WebhookChange;
import dev.javia.ota.protocol.api.WebhookCreate;
import dev.javia.ota.protocol.api.WebhookCreated;
import dev.javia.ota.protocol.api.WebhookDeliveryPage;
import dev.javia.ota.protocol.api.WebhookDeliveryView;
import dev.javia.ota.protocol.api.WebhookPage;
import dev.javia.ota.protocol.api.WebhookView;
import dev.javia.ota.server.audit.AuditLog;
import dev.javia.ota.server.persistence.Rows;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.UnreadableBodies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.net.URI;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The operator's webhook subscriptions, and what each was sent. The rules of a subscription (which URL, which
 * events, which secret) live here; a secret is answered once, when the server made it, and never read back. Each
 * subscription, change and unsubscription is an entry of the audit log, which names the URL by its host only (a
 * receiver's token is often in its path or query) and a new secret only as {@code rotated}.
 */
@Service
@Transactional
class Webhooks {

    private static final Logger log = LoggerFactory.getLogger(Webhooks.class);

    static final String ALL_EVENTS = "*";
    static final int MIN_SECRET = 16;
    static final int MAX_SECRET = 256;
    static final int MAX_DESCRIPTION = 500;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String COLUMNS = "id, url, events, description, enabled, created_at, updated_at";

    private final JdbcClient jdbc;
    private final Destinations destinations;
    private final Clock clock;
    private final AuditLog audit;

    Webhooks(JdbcClient jdbc, Destinations destinations, Clock clock, AuditLog audit) {
        this.jdbc = jdbc;
        this.destinations = destinations;
        this.clock = clock;
        this.audit = audit;
    }

    WebhookCreated create(Caller caller, WebhookCreate request) {
        if (request == null) {
            throw ApiException.badRequest("send {\"url\": \"https://...\", \"events\": [\"device.update_failed\"]};"
                    + " events and secret are optional");
        }
        String url = destinations.check(request.url()).toString();
        List<String> events = events(request.events() == null ? List.of(ALL_EVENTS) : request.events());
        String secret = request.secret() == null ? HexFormat.of().formatHex(randomBytes()) : secret(request.secret());
        String description = description(request.description());
        UUID id = UuidCreator.getTimeOrderedEpoch();
        Timestamp now = Timestamp.from(clock.instant());
        jdbc.sql("""
                insert into webhooks (id, url, secret, events, description, enabled, created_at, updated_at)
                values (:id, :url, :secret, :events, :description, true, :now, :now)
                """)
                .param("id", id).param("url", url).param("secret", secret)
                .param("events", events.toArray(String[]::new)).param("description", description).param("now", now)
                .update();
        audit.record(caller, "webhook.created", "webhook", id.toString(), audited(host(url), events, true));
        log.info("webhook created webhook_id={} events={}", id, events);
        return new WebhookCreated(one(id), secret);
    }

    @Transactional(readOnly = true)
    WebhookView one(UUID id) {
        return jdbc.sql("select " + COLUMNS + " from webhooks where id = :id").param("id", id)
                .query(Webhooks::view).optional()
                .orElseThrow(() -> notFound(id));
    }

    @Transactional(readOnly = true)
    WebhookPage list(int page, int size) {
        long total = jdbc.sql("select count(*) from webhooks").query(Long.class).single();
        List<WebhookView> found = jdbc.sql("select " + COLUMNS
                        + " from webhooks order by created_at desc, id desc limit :size offset :offset")
                .param("size", size).param("offset", (long) page * size)
                .query(Webhooks::view).list();
        return new WebhookPage(found, page, size, total, pages(total, size));
    }

    /**
     * Applies a merge patch whose fields {@code present} names; {@code change} holds their values. The audit entry
     * lists the fields it changed; a patch that sets only what was already set records nothing, as for a device. A
     * secret sent is always a rotation, never compared with the one it replaces: whether an entry appeared would tell
     * a caller whether a guess was the current secret.
     */
    WebhookView change(Caller caller, UUID id, WebhookChange change, Set<String> present) {
        WebhookView before = jdbc.sql("select " + COLUMNS + " from webhooks where id = :id for update")
                .param("id", id).query(Webhooks::view).optional().orElseThrow(() -> notFound(id));
        String url = present.contains("url") ? destinations.check(required(change.url(), "url")).toString()
                : before.url();
        List<String> events = present.contains("events") ? events(required(change.events(), "events"))
                : before.events();
        boolean enabled = present.contains("enabled") ? required(change.enabled(), "enabled") : before.enabled();
        String description = present.contains("description") ? description(change.description())
                : before.description();
        jdbc.sql("""
                update webhooks set url = :url, events = :events, enabled = :enabled, description = :description,
                       updated_at = :now
                where id = :id
                """)
                .param("id", id).param("url", url).param("events", events.toArray(String[]::new))
                .param("enabled", enabled).param("description", description)
                .param("now", Timestamp.from(clock.instant()))
                .update();
        if (present.contains("secret")) {
            jdbc.sql("update webhooks set secret = :secret where id = :id")
                    .param("id", id).param("secret", secret(required(change.secret(), "secret"))).update();
        }
        Map<String, Object> changed = new LinkedHashMap<>();
        if (!url.equals(before.url())) {
            changed.put("url", AuditLog.oldAndNew(host(before.url()), host(url)));
        }
        if (!events.equals(before.events())) {
            changed.put("events", AuditLog.oldAndNew(before.events(), events));
        }
        if (enabled != before.enabled()) {
            changed.put("enabled", AuditLog.oldAndNew(before.enabled(), enabled));
        }
        if (!Objects.equals(description, before.description())) {
            changed.put("description", AuditLog.oldAndNew(before.description(), description));
        }
        if (present.contains("secret")) {
            changed.put("secret", "rotated");
        }
        if (!changed.isEmpty()) {
            Map<String, Object> details = audited(host(url), events, enabled);
            details.put("changed", changed);
            audit.record(caller, "webhook.changed", "webhook", id.toString(), details);
        }
        log.info("webhook changed webhook_id={} fields={}", id, present);
        return one(id);
    }

    void delete(Caller caller, UUID id) {
        Map<String, Object> deleted = jdbc.sql("delete from webhooks where id = :id returning url, events, enabled")
                .param("id", id)
                .query((rs, row) -> audited(host(rs.getString("url")), subscribed(rs), rs.getBoolean("enabled")))
                .optional().orElseThrow(() -> notFound(id));
        audit.record(caller, "webhook.deleted", "webhook", id.toString(), deleted);
        log.info("webhook deleted webhook_id={}", id);
    }

    /** What the audit log keeps of a webhook: where it points (the host: the rest may hold a token), what it gets. */
    private static Map<String, Object> audited(String host, List<String> events, boolean enabled) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("host", host);
        details.put("events", events);
        details.put("enabled", enabled);
        return details;
    }

    /** The host of a stored URL (checked by {@link Destinations} when it was saved). */
    private static String host(String url) {
        return URI.create(url).getHost();
    }

    @Transactional(readOnly = true)
    WebhookDeliveryPage deliveries(UUID id, DeliveryStatus status, int page, int size) {
        one(id);
        String where = " where webhook_id = :id" + (status == null ? "" : " and status = :status");
        long total = jdbc.sql("select count(*) from webhook_deliveries" + where)
                .param("id", id).param("status", status == null ? null : status.wire())
                .query(Long.class).single();
        List<WebhookDeliveryView> found = jdbc.sql("select id, event_id, event_type, status, attempts, last_status,"
                        + " last_error, created_at, next_attempt_at, delivered_at from webhook_deliveries" + where
                        + " order by created_at desc, event_id desc limit :size offset :offset")
                .param("id", id).param("status", status == null ? null : status.wire())
                .param("size", size).param("offset", (long) page * size)
                .query(Webhooks::delivery).list();
        return new WebhookDeliveryPage(found, page, size, total, pages(total, size));
    }

    /**
     * The last tried delivery of each of these webhooks (the newest with at least one attempt): how each is doing,
     * for the dashboard's list. A webhook never tried yet has none.
     */
    @Transactional(readOnly = true)
    Map<UUID, WebhookDeliveryView> lastTried(List<UUID> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        Map<UUID, WebhookDeliveryView> last = new LinkedHashMap<>();
        jdbc.sql("select distinct on (webhook_id) webhook_id, id, event_id, event_type, status, attempts,"
                        + " last_status, last_error, created_at, next_attempt_at, delivered_at from webhook_deliveries"
                        + " where webhook_id = any(cast(:ids as uuid[])) and attempts > 0"
                        + " order by webhook_id, created_at desc, event_id desc")
                .param("ids", ids.stream().map(UUID::toString).toArray(String[]::new))
                .query(rs -> {
                    last.put(rs.getObject("webhook_id", UUID.class), delivery(rs, rs.getRow()));
                });
        return last;
    }

    private static int pages(long total, int size) {
        return (int) ((total + size - 1) / size);
    }

    private static ApiException notFound(UUID id) {
        return ApiException.notFound("no webhook " + id + " exists: GET /api/v1/webhooks lists them");
    }

    private static <T> T required(T value, String field) {
        if (value == null) {
            throw ApiException.badRequest(field + " cannot be null: leave it out to keep it as it is"
                    + (field.equals("url") ? ", or DELETE the webhook" : ""));
        }
        return value;
    }

    /** The subscribed types, each once, in the order given; '*' alone stands for every type. */
    static List<String> events(List<String> requested) {
        if (requested.isEmpty()) {
            throw ApiException.badRequest("events is empty: name at least one of " + Notifications.Events.ALL
                    + ", or [\"*\"] for every type (PATCH enabled=false to pause a webhook)");
        }
        Set<String> events = new LinkedHashSet<>();
        for (String event : requested) {
            if (ALL_EVENTS.equals(event)) {
                return List.of(ALL_EVENTS);
            }
            if (event == null || !Notifications.Events.ALL.contains(event)) {
                throw ApiException.badRequest("'" + (event == null ? "null" : UnreadableBodies.shown(event))
                        + "' is not an event type: send some of " + String.join(", ", Notifications.Events.ALL)
                        + ", or \"*\" for all");
            }
            events.add(event);
        }
        return new ArrayList<>(events);
    }

    private static String secret(String secret) {
        if (secret.length() < MIN_SECRET || secret.length() > MAX_SECRET || secret.isBlank()
                || !secret.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw ApiException.badRequest("secret must be " + MIN_SECRET + " to " + MAX_SECRET + " printable"
                    + " characters without spaces (e.g. openssl rand -hex 32), or left out for the server to make one");
        }
        return secret;
    }

    private static String description(String description) {
        if (description != null && description.length() > MAX_DESCRIPTION) {
            throw ApiException.badRequest("description is " + description.length() + " characters long; at most "
                    + MAX_DESCRIPTION);
        }
        return description == null || description.isBlank() ? null : description;
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static WebhookView view(ResultSet rs, int row) throws SQLException {
        return new WebhookView(rs.getObject("id", UUID.class), rs.getString("url"), subscribed(rs),
                rs.getString("description"), rs.getBoolean("enabled"),
                rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant());
    }

    private static List<String> subscribed(ResultSet rs) throws SQLException {
        Array events = rs.getArray("events");
        return List.of((String[]) events.getArray());
    }

    private static WebhookDeliveryView delivery(ResultSet rs, int row) throws SQLException {
        DeliveryStatus status = DeliveryStatus.parse(rs.getString("status"));
        return new WebhookDeliveryView(rs.getObject("id", UUID.class), rs.getObject("event_id", UUID.class),
                rs.getString("event_type"), status, rs.getInt("attempts"),
                Rows.integer(rs, "last_status"), rs.getString("last_error"),
                instant(rs, "created_at"), status == DeliveryStatus.PENDING ? instant(rs, "next_attempt_at") : null,
                instant(rs, "delivered_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp value = rs.getTimestamp(column);
        return value == null ? null : value.toInstant();
    }
}
