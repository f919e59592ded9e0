package dev.javia.ota.server.audit;

import dev.javia.ota.server.security.Caller;
import org.springframework.stereotype.Component;

import java.util.Map;

/**
 * The append-only record of every operator action: who (the admin key's name, or {@code system} for what the rollout
 * reconciler does by itself), when, what, on what, and from which address. An entry is written in the transaction of
 * the action it records, so an action that rolls back leaves no entry and no action goes unrecorded.
 */
@Component
public class AuditLog {

    /** The actor of actions nobody asked for in a request: the reconciler's pauses, advances and rollbacks. */
    public static final String SYSTEM = "system";

    /**
     * Records an action by the caller of the current request (its address is taken from that request).
     *
     * @param action     what was done, e.g. {@code rollout.paused}
     * @param targetType what kind of thing it was done to, e.g. {@code rollout}
     * @param targetId   which one (a uuid, a version, a device uuid)
     * @param details    what an auditor needs to know beyond that (the reason, the settings given); JSON-serializable
     */
    public void record(Caller caller, String action, String targetType, String targetId, Map<String, ?> details) {
        // TODO(audit helper): insert into audit_log in the caller's transaction
    }

    /** Records an action the server took by itself (actor {@link #SYSTEM}, no address). */
    public void recordSystem(String action, String targetType, String targetId, Map<String, ?> details) {
        // TODO(audit helper): insert into audit_log in the caller's transaction
    }
}
