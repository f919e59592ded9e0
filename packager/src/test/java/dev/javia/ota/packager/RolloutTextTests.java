package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.RolloutKind;
import dev.javia.ota.protocol.api.RolloutPhaseView;
import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutTarget;
import dev.javia.ota.protocol.api.RolloutView;
import dev.javia.ota.protocol.api.DeviceStatus;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.javia.ota.packager.RolloutFixtures.CREATED;
import static dev.javia.ota.packager.RolloutFixtures.phase;
import static org.assertj.core.api.Assertions.assertThat;

/** How a rollout reads on a terminal and in a log, from views built here. */
class RolloutTextTests {

    @Test
    void aPhaseBarFillsWithTheShareOfItsDevicesThatInstalled() {
        RolloutPhaseView open = phase(1, "10%", 50, "open", Map.of("completed", 35L, "failed", 2L), 1);
        assertThat(RolloutText.phaseLine(open, 3, true))
                .isEqualTo("phase 2  10%  [##############......]  35/50 installed, 2 failed, 1 silent  open");
    }

    @Test
    void withoutATerminalThePhaseLineHasTheSameFiguresAndNoBar() {
        RolloutPhaseView open = phase(1, "10%", 50, "open", Map.of("completed", 35L, "failed", 2L), 1);
        assertThat(RolloutText.phaseLine(open, 3, false))
                .isEqualTo("phase 2  10%  35/50 installed, 2 failed, 1 silent  open");
    }

    @Test
    void devicesAlreadyAtANewerVersionAreNotCountedAsStillToInstall() {
        RolloutPhaseView phase = phase(0, "100%", 10, "open", Map.of("completed", 4L, "not_needed", 2L), 0);
        assertThat(RolloutText.phaseLine(phase, 4, true))
                .isEqualTo("phase 1  100%  [##########..........]  4/8 installed, 0 failed, 0 silent, 2 already newer"
                        + "  open");
    }

    @Test
    void anEmptyPhaseDrawsAnEmptyBarAndAFullOneAFullBar() {
        assertThat(RolloutText.phaseLine(phase(0, "1", 0, "waiting", Map.of(), 0), 1, true))
                .contains("[" + ".".repeat(20) + "]  0/0 installed");
        assertThat(RolloutText.phaseLine(phase(0, "1", 1, "done", Map.of("completed", 1L), 0), 1, true))
                .contains("[" + "#".repeat(20) + "]  1/1 installed");
    }

    @Test
    void showsStateNextStepAndWhenRulesAndEveryPhaseAligned() {
        List<String> lines = RolloutText.detail(RolloutFixtures.running(), true, CREATED.plusSeconds(3600));
        assertThat(lines).containsExactly(
                "rollout 0190f7a4-5b6c-7d8e-9f00-aabbccddeeff  v1.4.0 (release)",
                "  state     running",
                "  next      phase 3 opens once phase 2 has soaked for 1h and 95% installed"
                        + " (at 2026-12-02T09:00:00Z, in 1h)",
                "  target    every device",
                "  rules     soak 1h per phase; advance at 95% installed (5 finished at least); pause at 5% failed or"
                        + " silent (judged from 10)",
                "            silent after 2h; at most 50 at once; auto-rollback off; needs a second admin's approval",
                "  created   2026-12-02T07:00:00Z by alice",
                "  approved  2026-12-02T07:01:00Z by bob",
                "phase 1  1     [####################]  1/1 installed, 0 failed, 0 silent  done",
                "phase 2  10%   [##############......]  35/50 installed, 2 failed, 1 silent  open",
                "phase 3  100%  [....................]  0/449 installed, 0 failed, 0 silent  waiting");
    }

    @Test
    void aPausedRolloutSaysWhyAndWhatToDo() {
        List<String> lines = RolloutText.detail(RolloutFixtures.paused("failure threshold: 3 of 20 failed (15%)"),
                false, CREATED);
        assertThat(lines).contains("  state     paused: failure threshold: 3 of 20 failed (15%)",
                "  next      resume to go on, or roll back");
        assertThat(lines).noneMatch(line -> line.contains("[#") || line.contains(".]"));
    }

    @Test
    void aPauseWithoutAReasonDoesNotSayPausedTwice() {
        assertThat(RolloutText.detail(RolloutFixtures.paused("paused by admin"), false, CREATED))
                .contains("  state     paused: by admin");
    }

    @Test
    void whenTheServersSentenceNamesTheTimeOnlyHowSoonIsAdded() {
        RolloutView running = RolloutFixtures.running();
        RolloutView named = new RolloutView(running.id(), running.updateId(), running.version(), running.kind(),
                running.state(), running.target(), running.currentPhase(), running.phases(), running.rules(),
                "advances not before its soak ends (" + running.nextAt() + ")", running.nextAt(), null, null,
                running.createdBy(), running.createdAt(), null, null, null, null, null);
        assertThat(RolloutText.detail(named, false, CREATED.plusSeconds(7200 - 90)))
                .contains("  next      advances not before its soak ends (2026-12-02T09:00:00Z) (in 1m 30s)");
        assertThat(RolloutText.summary(named))
                .contains("  next     advances not before its soak ends (2026-12-02T09:00:00Z)");
        assertThat(RolloutText.detail(named, false, CREATED.plusSeconds(7200))).anyMatch(line -> line.endsWith(
                "(due now)"));
    }

    @Test
    void aFilteredTargetAndARollbackAreNamed() {
        RolloutView running = RolloutFixtures.running();
        RolloutView rollback = new RolloutView(running.id(), running.updateId(), "v1.3.2", RolloutKind.ROLLBACK,
                RolloutState.RUNNING, new RolloutTarget(null, "v1.4.0", DeviceStatus.ONLINE, "Europe/Berlin",
                Map.of("room", "kitchen")), 0, running.phases(), running.rules(), "waits for devices", null, null,
                null, "alice", CREATED, null, null, null, RolloutFixtures.UPDATE_ID, null);
        assertThat(RolloutText.detail(rollback, false, CREATED)).contains(
                "rollout 0190f7a4-5b6c-7d8e-9f00-aabbccddeeff  v1.3.2 (rollback)",
                "  target    devices with version v1.4.0, status online, timezone Europe/Berlin, metadata room=kitchen",
                "  undoes    rollout " + RolloutFixtures.UPDATE_ID);
    }

    @Test
    void theTableHasOneAlignedLinePerRollout() {
        assertThat(RolloutText.table(List.of(RolloutFixtures.running(),
                RolloutFixtures.rollout(RolloutState.AWAITING_APPROVAL, List.of(phase(0, "100%", 3, "waiting",
                        Map.of("queued", 3L), 0)))))).containsExactly(
                "ID                                    VERSION  KIND     STATE              PHASE   INSTALLED  FAILED"
                        + "  CREATED",
                "0190f7a4-5b6c-7d8e-9f00-aabbccddeeff  v1.4.0   release  running            2 of 3  36/500     2"
                        + "       2026-12-02T07:00:00Z",
                "0190f7a4-5b6c-7d8e-9f00-aabbccddeeff  v1.4.0   release  awaiting_approval  1 of 1  0/3        0"
                        + "       2026-12-02T07:00:00Z");
    }

    @Test
    void afterPublishingTheRolloutIsTwoLines() {
        assertThat(RolloutText.summary(RolloutFixtures.rollout(RolloutState.AWAITING_APPROVAL,
                RolloutFixtures.threePhases()))).containsExactly(
                "  rollout  0190f7a4-5b6c-7d8e-9f00-aabbccddeeff  awaiting approval, phases 1, 10%, 100%",
                "  next     phase 3 opens once phase 2 has soaked for 1h and 95% installed (at 2026-12-02T09:00:00Z)");
    }

    @Test
    void sharesReadAsPercentages() {
        assertThat(RolloutText.share(0.95)).isEqualTo("95%");
        assertThat(RolloutText.share(0.025)).isEqualTo("2.5%");
        assertThat(RolloutText.share(1.0)).isEqualTo("100%");
    }

    @Test
    void durationsReadInTheirTwoLargestUnits() {
        assertThat(Durations.format(90)).isEqualTo("1m 30s");
        assertThat(Durations.format(86_400 + 7_200)).isEqualTo("1d 2h");
        assertThat(Durations.format(3_600)).isEqualTo("1h");
        assertThat(Durations.format(0)).isEqualTo("0s");
    }
}
