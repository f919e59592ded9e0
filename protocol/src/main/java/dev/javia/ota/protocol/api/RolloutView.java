package dev.javia.ota.protocol.api;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A rollout as the operator sees it: what goes where, its phases with their devices, its rules, and what happens
 * next.
 *
 * @param next           what the reconciler will do next, and from when, in a sentence
 * @param nextAt         the earliest moment that can happen; null when it waits for devices or for an operator
 * @param pausedReason   why it paused (the rule that tripped, or the operator's words)
 * @param rollbackOf     for a rollback: the rollout it undoes
 * @param rolledBackBy   for a release that was rolled back: the rollback
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RolloutView(
        UUID id,
        UUID updateId,
        String version,
        RolloutKind kind,
        RolloutState state,
        RolloutTarget target,
        int currentPhase,
        List<RolloutPhaseView> phases,
        RolloutRules rules,
        String next,
        @Nullable Instant nextAt,
        @Nullable String pausedReason,
        @Nullable Instant startAt,
        String createdBy,
        Instant createdAt,
        @Nullable String approvedBy,
        @Nullable Instant approvedAt,
        @Nullable Instant finishedAt,
        @Nullable UUID rollbackOf,
        @Nullable UUID rolledBackBy,
        @Nullable DeliveryTotals delivery) {

    /** A rollout as views before deltas (issue 18): no delivery totals. */
    public RolloutView(UUID id, UUID updateId, String version, RolloutKind kind, RolloutState state,
                       RolloutTarget target, int currentPhase, List<RolloutPhaseView> phases, RolloutRules rules,
                       String next, Instant nextAt, String pausedReason, Instant startAt, String createdBy,
                       Instant createdAt, String approvedBy, Instant approvedAt, Instant finishedAt, UUID rollbackOf,
                       UUID rolledBackBy) {
        this(id, updateId, version, kind, state, target, currentPhase, phases, rules, next, nextAt, pausedReason,
                startAt, createdBy, createdAt, approvedBy, approvedAt, finishedAt, rollbackOf, rolledBackBy, null);
    }

    /** This view with its devices' delivery totals. */
    public RolloutView withDelivery(DeliveryTotals totals) {
        return new RolloutView(id, updateId, version, kind, state, target, currentPhase, phases, rules, next, nextAt,
                pausedReason, startAt, createdBy, createdAt, approvedBy, approvedAt, finishedAt, rollbackOf,
                rolledBackBy, totals);
    }
}
