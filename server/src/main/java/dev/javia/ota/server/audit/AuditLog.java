package dev.javia.ota.server.audit;

import dev.javia.ota.server.persistence.JsonColumn;
import dev.javia.ota.server.security.Caller;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The append-only record of every operator action: who (the admin key's name, or {@code system} for what the rollout
 * reconciler does by itself), when, what, on what, and from which address. An entry is written in the transaction of
 * the action it records, so an action that rolls back leaves no entry and no action goes unrecorded.
 */
@Component
public class AuditLog {

    /** The actor of actions nobody asked for in a request: the reconciler's pauses, advances and rollbacks. */
    public static final String SYSTEM = Caller.SYSTEM;

    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

    private final JdbcClient jdbc;
    private final Clock clock;

    AuditLog(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /**
     * Records an action by the caller of the current request (its address is taken from that request).
     *
     * @param action     what was done, e.g. {@code rollout.paused}
     * @param targetType what kind of thing it was done to, e.g. {@code rollout}
     * @param targetId   which one (a uuid, a version, a device uuid)
     * @param details    what an auditor needs to know beyond that (the reason, the settings given); JSON-serializable
     */
    @Transactional(propagation = Propagation.REQUIRED)
    public void record(Caller caller, String action, String targetType, String targetId, Map<String, ?> details) {
        write(Objects.requireNonNull(caller, "an audited action needs its caller").name(), requestAddress(), action,
                targetType, targetId, details);
    }

    /** A changed field as the details of every change show it: {@code {"old": …, "new": …}}. */
    public static Map<String, Object> oldAndNew(Object old, Object now) {
        Map<String, Object> change = new LinkedHashMap<>();
        change.put("old", old);
        change.put("new", now);
        return change;
    }

    /** Records an action the server took by itself (actor {@link #SYSTEM}, no address). */
    @Transactional(propagation = Propagation.REQUIRED)
    public void recordSystem(String action, String targetType, String targetId, Map<String, ?> details) {
        write(SYSTEM, null, action, targetType, targetId, details);
    }

    private void write(String actor, String address, String action, String targetType, String targetId,
            Map<String, ?> details) {
        Instant at = clock.instant();
        long id = jdbc.sql("""
                        insert into audit_log (at, actor, address, action, target_type, target_id, details)
                        values (?, ?, ?, ?, ?, ?, ?::jsonb) returning id""")
                .params(Timestamp.from(at), actor, address, Objects.requireNonNull(action, "action"),
                        Objects.requireNonNull(targetType, "targetType"), targetId,
                        JsonColumn.write(details == null ? Map.of() : details))
                .query(Long.class).single();
        // told once the entry is committed: a line for an action that rolled back would be a false record
        Runnable line = () -> log.info("audit action={} actor={} target={}/{} address={} id={}", action, actor,
                targetType, targetId, address, id);
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    line.run();
                }
            });
        } else {
            line.run();
        }
    }

    /** The remote address of the request being handled on this thread, or null outside one (a job). */
    private static String requestAddress() {
        if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes) {
            HttpServletRequest request = attributes.getRequest();
            return request.getRemoteAddr();
        }
        return null;
    }
}
