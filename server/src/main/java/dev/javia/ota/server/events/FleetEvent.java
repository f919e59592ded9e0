package dev.javia.ota.server.events;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One change in the fleet, as a notification on {@link FleetEvents#CHANNEL} names it: {@code kind} or
 * {@code kind:id}. It says what changed, never how: whoever follows it reads the new state from the database.
 *
 * @param kind what changed
 * @param id   which one (a device's uuid, a rollout's or an update's id, a webhook's id), or null for the kind as a
 *             whole
 */
public record FleetEvent(Kind kind, String id) {

    /** Ids as the triggers write them: uuids, numbers, device uuids. Anything else is not ours. */
    private static final Pattern ID = Pattern.compile("[0-9A-Za-z-]{1,64}");

    public enum Kind {
        /** A device's record: registered, status, version, name, window, step; or its updates' statuses. */
        DEVICE,
        /** Many devices at once (a phase offered to thousands): read the fleet again rather than each. */
        FLEET,
        /** A rollout's state, phase or members. */
        ROLLOUT,
        /** An update published or changed. */
        UPDATE,
        /** A new entry in the audit log. */
        AUDIT,
        /** A webhook or one of its deliveries. */
        WEBHOOK,
        /**
         * The listener listens again after an outage (or for the first time): notifications were lost, so read
         * everything again. Never sent by a writer.
         */
        RESYNC,
        /** The listener lost its connection: until the next {@code RESYNC}, no change reaches this instance. */
        LOST;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static final FleetEvent RESYNC = new FleetEvent(Kind.RESYNC, null);
    static final FleetEvent LOST = new FleetEvent(Kind.LOST, null);

    /** The event a payload names, or null when it names none (a payload is read as hostile, whoever sent it). */
    static FleetEvent parse(String payload) {
        if (payload == null || payload.length() > 100) {
            return null;
        }
        int colon = payload.indexOf(':');
        String kindText = colon < 0 ? payload : payload.substring(0, colon);
        String id = colon < 0 ? null : payload.substring(colon + 1);
        Kind kind;
        try {
            kind = Kind.valueOf(kindText.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (kind == Kind.RESYNC || kind == Kind.LOST || (id != null && !ID.matcher(id).matches())) {
            return null;
        }
        return new FleetEvent(kind, id);
    }

    /** The payload that {@link #parse} reads back as this event. */
    String payload() {
        return id == null ? kind.wire() : kind.wire() + ":" + id;
    }
}
