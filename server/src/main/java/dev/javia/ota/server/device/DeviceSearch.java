package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.Filters;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The fleet's search, filters and sort, as the API's list ({@code GET /api/v1/devices}) and the dashboard's devices
 * page take them: one reading of the same query parameters, each refusal a 400 that says what to send.
 */
@Component
public class DeviceSearch {

    private static final int MAX_TEXT = 100;

    private final DeviceRepository devices;
    private final Clock clock;

    DeviceSearch(DeviceRepository devices, Clock clock) {
        this.devices = devices;
        this.clock = clock;
    }

    /** How long ago a device was last seen: within an hour, a day, a week; or longer ago than a day, a week. */
    public enum LastSeen {
        WITHIN_1H("within-1h", Duration.ofHours(1), true),
        WITHIN_1D("within-1d", Duration.ofDays(1), true),
        WITHIN_7D("within-7d", Duration.ofDays(7), true),
        OVER_1D("over-1d", Duration.ofDays(1), false),
        OVER_7D("over-7d", Duration.ofDays(7), false);

        public static final String ALLOWED = "within-1h, within-1d, within-7d, over-1d or over-7d";

        private final String wire;
        private final Duration ago;
        private final boolean within;

        LastSeen(String wire, Duration ago, boolean within) {
            this.wire = wire;
            this.ago = ago;
            this.within = within;
        }

        public String wire() {
            return wire;
        }

        static LastSeen parse(String text) {
            return Arrays.stream(values()).filter(value -> value.wire.equals(text)).findFirst().orElseThrow(() ->
                    ApiException.badRequest("last_seen must be " + ALLOWED + ", not '" + text + "'"));
        }
    }

    /** The orders of the list: a field, ascending, or descending with a leading '-'. */
    public enum Order {
        NAME("name", "deviceName"),
        LAST_SEEN("last_seen", "lastSeen"),
        VERSION("version", "currentVersion"),
        STATUS("status", "status"),
        REGISTERED("registered", "registeredAt");

        public static final String ALLOWED = Arrays.stream(values()).map(order -> order.wire)
                .collect(Collectors.joining(", ")) + " (a leading '-' for descending, e.g. -last_seen)";

        private final String wire;
        private final String property;

        Order(String wire, String property) {
            this.wire = wire;
            this.property = property;
        }
    }

    /**
     * A search of the fleet; every part may be null (no filter).
     *
     * @param text a device uuid, the start of one, or part of a device's name (any case)
     * @param sort the order as the query parameter has it ({@code -registered} when not given)
     * @param agentVersion the agent's version ({@code v0.2.0}), or {@link #AGENT_UNKNOWN} for the devices whose agent
     *             never said it (agents before self-update, which need the .deb once)
     */
    public record Query(String text, DeviceStatus status, String version, String timezone, LastSeen lastSeen,
            String sort, String agentVersion) {

        /** The {@code agent_version} that finds the devices whose agent never told its version. */
        public static final String AGENT_UNKNOWN = "none";

        /** Reads the query parameters, without an agent filter. */
        public static Query of(String text, String status, String version, String timezone, String lastSeen,
                String sort) {
            return of(text, status, version, timezone, lastSeen, sort, null);
        }

        /** Reads the query parameters; each value the search cannot take is a 400 naming what it can. */
        public static Query of(String text, String status, String version, String timezone, String lastSeen,
                String sort, String agentVersion) {
            String agent = Filters.text(agentVersion) == null ? null : agentVersion.trim();
            if (agent != null && !agent.equals(AGENT_UNKNOWN) && Version.tryParse(agent).isEmpty()) {
                throw ApiException.badRequest("agent_version must be an agent's version (vMAJOR.MINOR.PATCH, e.g. "
                        + "v0.2.0) or '" + AGENT_UNKNOWN + "' (the devices whose agent never told its version, which "
                        + "need the .deb once), not '" + agentVersion + "'");
            }
            String q = Filters.text(text);
            if (q != null && (q.length() > MAX_TEXT || q.chars().anyMatch(Character::isISOControl))) {
                throw ApiException.badRequest("q must be one line of at most " + MAX_TEXT + " characters: a device"
                        + " uuid, its start, or part of a device's name");
            }
            String parsedSort = Filters.text(sort) == null ? "-registered" : sort.trim();
            order(parsedSort);
            return new Query(q == null ? null : q.trim(), Filters.parsed(status, DeviceStatus::parse),
                    Filters.text(version), Filters.text(timezone),
                    Filters.text(lastSeen) == null ? null : LastSeen.parse(lastSeen.trim()), parsedSort, agent);
        }

        /** The whole fleet, newest registration first. */
        public static Query all() {
            return of(null, null, null, null, null, null);
        }
    }

    private static Sort order(String sort) {
        boolean descending = sort.startsWith("-");
        String field = descending ? sort.substring(1) : sort;
        Order order = Arrays.stream(Order.values()).filter(value -> value.wire.equals(field)).findFirst()
                .orElseThrow(() -> ApiException.badRequest("sort must be one of " + Order.ALLOWED + ", not '"
                        + sort + "'"));
        Sort.Order first = descending ? Sort.Order.desc(order.property) : Sort.Order.asc(order.property);
        // devices without a name or version come last either way; the uuid settles ties, so pages never overlap
        return Sort.by(first.nullsLast(), Sort.Order.asc("deviceUuid"));
    }

    /** One page of the devices the query finds. */
    @Transactional(readOnly = true)
    public Page<Device> find(Query query, int page, int size) {
        String uuidPrefix = null;
        String nameLike = null;
        if (query.text() != null) {
            String lower = query.text().toLowerCase(Locale.ROOT);
            String escaped = lower.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
            uuidPrefix = escaped + "%";
            nameLike = "%" + escaped + "%";
        }
        // never null: PostgreSQL cannot tell the type of a null timestamp parameter in "? is null"
        Instant seenAfter = Instant.EPOCH;
        Instant seenBefore = Instant.parse("9999-12-31T00:00:00Z");
        if (query.lastSeen() != null) {
            Instant cutoff = clock.instant().minus(query.lastSeen().ago);
            if (query.lastSeen().within) {
                seenAfter = cutoff;
            } else {
                seenBefore = cutoff;
            }
        }
        boolean agentUnknown = Query.AGENT_UNKNOWN.equals(query.agentVersion());
        return devices.search(query.status(), query.version(), query.timezone(), uuidPrefix, nameLike,
                query.lastSeen() == null, seenAfter, seenBefore, agentUnknown,
                agentUnknown ? null : query.agentVersion(), PageRequest.of(page, size, order(query.sort())));
    }
}
