package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.RolloutKind;
import dev.javia.ota.protocol.api.RolloutPhaseView;
import dev.javia.ota.protocol.api.RolloutRules;
import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutTarget;
import dev.javia.ota.protocol.api.RolloutView;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Rollouts as the server answers them, built in the test: what the rendering and the stubbed server are given. */
final class RolloutFixtures {

    static final UUID ID = UUID.fromString("0190f7a4-5b6c-7d8e-9f00-aabbccddeeff");
    static final UUID UPDATE_ID = UUID.fromString("0190f7a4-5b6c-7d8e-9f00-000000000001");
    static final Instant CREATED = Instant.parse("2026-12-02T07:00:00Z");

    private RolloutFixtures() {
    }

    static RolloutRules rules() {
        return new RolloutRules(3600, 0.95, 5, 0.05, 10, 7200, 50, false, true);
    }

    static RolloutPhaseView phase(int index, String size, long devices, String state, Map<String, Long> counts,
                                  long silent) {
        return new RolloutPhaseView(index, size, devices, devices, state, counts, silent, null, null,
                state.equals("waiting") ? null : CREATED.plusSeconds(3600L * index));
    }

    /** v1.4.0 to one device, then 10%, then everyone: the first phase done, the second open, the last waiting. */
    static List<RolloutPhaseView> threePhases() {
        return List.of(
                phase(0, "1", 1, "done", Map.of("completed", 1L), 0),
                phase(1, "10%", 50, "open", Map.of("completed", 35L, "failed", 2L, "installing", 3L,
                        "pending", 9L, "queued", 1L), 1),
                phase(2, "100%", 449, "waiting", Map.of("queued", 449L), 0));
    }

    static RolloutView rollout(RolloutState state, List<RolloutPhaseView> phases) {
        return new RolloutView(ID, UPDATE_ID, "v1.4.0", RolloutKind.RELEASE, state, RolloutTarget.EVERYONE, 1,
                phases, rules(), "phase 3 opens once phase 2 has soaked for 1h and 95% installed",
                CREATED.plusSeconds(7200), null, null, "alice", CREATED, "bob", CREATED.plusSeconds(60), null, null,
                null);
    }

    static RolloutView running() {
        return rollout(RolloutState.RUNNING, threePhases());
    }

    static RolloutView paused(String reason) {
        RolloutView running = running();
        return new RolloutView(running.id(), running.updateId(), running.version(), running.kind(),
                RolloutState.PAUSED, running.target(), running.currentPhase(), running.phases(), running.rules(),
                "resume to go on, or roll back", null, reason, null, running.createdBy(), running.createdAt(),
                running.approvedBy(), running.approvedAt(), null, null, null);
    }
}
