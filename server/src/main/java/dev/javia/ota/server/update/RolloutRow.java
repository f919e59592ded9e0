package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.RolloutKind;
import dev.javia.ota.protocol.api.RolloutRules;
import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutTarget;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.persistence.JsonColumn;
import dev.javia.ota.server.persistence.Rows;
import org.springframework.jdbc.core.RowMapper;
import tools.jackson.core.type.TypeReference;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** One row of {@code rollouts}, with its update's version and type. */
record RolloutRow(UUID id, UUID updateId, String version, UpdateType updateType, RolloutKind kind,
        RolloutState state, RolloutTarget target, List<Phase> phases, int currentPhase, Instant phaseStartedAt,
        Instant judgedSince, RolloutRules rules, Instant startAt, String createdBy, Instant createdAt,
        String approvedBy, Instant approvedAt, String pausedReason, Instant finishedAt, UUID rollbackOf,
        UUID rolledBackBy) {

    /** A phase as stored: its size as given and how many devices it held at creation, cumulative. */
    record Phase(String size, long plannedDevices) {
    }

    static final String SELECT = """
            select r.*, u.version, u.update_type from rollouts r join updates u on u.id = r.update_id
            """;

    /**
     * Every update that may apply to the device named by the one parameter, newest first, with its latest release
     * rollout's columns (all null for an update published before rollouts): the ones published before for the fleet
     * or naming the device, and those whose rollout was not cancelled nor rolled back.
     */
    static final String SELECT_LATEST_RELEASES = """
            select u.id as candidate_id, u.version, u.update_type, r.*
            from updates u
            left join lateral (select * from rollouts lr where lr.update_id = u.id and lr.kind = 'release'
                               order by lr.created_at desc limit 1) r on true
            where (r.id is null and (u.target_devices is null or u.target_devices @> jsonb_build_array(?::text)))
               or (r.id is not null and r.state <> 'cancelled' and r.rolled_back_by is null)
            order by u.version_major desc, u.version_minor desc, u.version_patch desc
            limit 20
            """;

    static final RowMapper<RolloutRow> MAPPER = (rs, row) -> new RolloutRow(
            rs.getObject("id", UUID.class), rs.getObject("update_id", UUID.class), rs.getString("version"),
            UpdateType.parse(rs.getString("update_type")), RolloutKind.parse(rs.getString("kind")),
            RolloutState.parse(rs.getString("state")),
            rs.getString("target") == null ? RolloutTarget.EVERYONE
                    : JsonColumn.read(rs.getString("target"), RolloutTarget.class),
            JsonColumn.read(rs.getString("phases"), new TypeReference<List<Phase>>() { }),
            rs.getInt("current_phase"), instant(rs.getTimestamp("phase_started_at")),
            instant(rs.getTimestamp("judged_since")),
            new RolloutRules(rs.getLong("soak_seconds"), rs.getDouble("success_threshold"), rs.getInt("min_finished"),
                    rs.getDouble("failure_threshold"), rs.getInt("min_sample"),
                    rs.getLong("install_timeout_seconds"), Rows.integer(rs, "max_concurrent"),
                    rs.getBoolean("auto_rollback"), rs.getBoolean("require_approval")),
            instant(rs.getTimestamp("start_at")), rs.getString("created_by"), instant(rs.getTimestamp("created_at")),
            rs.getString("approved_by"), instant(rs.getTimestamp("approved_at")), rs.getString("paused_reason"),
            instant(rs.getTimestamp("finished_at")), rs.getObject("rollback_of", UUID.class),
            rs.getObject("rolled_back_by", UUID.class));

    /** This rollout as if its open phase were {@code phase}. */
    RolloutRow atPhase(int phase) {
        return new RolloutRow(id, updateId, version, updateType, kind, state, target, phases, phase, phaseStartedAt,
                judgedSince, rules, startAt, createdBy, createdAt, approvedBy, approvedAt, pausedReason, finishedAt,
                rollbackOf, rolledBackBy);
    }

    boolean isLastPhase() {
        return currentPhase >= phases.size() - 1;
    }

    boolean isRollback() {
        return kind == RolloutKind.ROLLBACK;
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
