package dev.javia.ota.agent.update;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;

import static dev.javia.ota.protocol.api.UpdateType.SCHEDULED;
import static dev.javia.ota.protocol.api.UpdateType.URGENT;
import static org.assertj.core.api.Assertions.assertThat;

class InstallPolicyTests {

    private static final ZoneId LA = ZoneId.of("America/Los_Angeles");
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    private final InstallPolicy policy = new InstallPolicy(LA, 2, Duration.ofMinutes(5), Duration.ofHours(1));
    private final Instant twoAm = Instant.parse("2025-06-10T09:00:00Z"); // 02:00 PDT

    @Test
    void urgentWaitsForAnHourWithoutActivity() {
        assertThat(policy.decide(URGENT, twoAm, null, twoAm, twoAm, Duration.ofMinutes(59)).due()).isFalse();
        assertThat(policy.decide(URGENT, twoAm, null, twoAm, twoAm, Duration.ofMinutes(60)).due()).isTrue();
    }

    @Test
    void scheduledWaitsForItsTime() {
        Instant before = twoAm.minusSeconds(1);
        assertThat(policy.decide(SCHEDULED, twoAm, null, before, before, Duration.ofHours(5)).due()).isFalse();
        assertThat(policy.decide(SCHEDULED, twoAm, null, before, twoAm, Duration.ofHours(5)).due()).isTrue();
    }

    @Test
    void scheduledNeverInterruptsAConversation() {
        InstallPolicy.Decision decision = policy.decide(SCHEDULED, twoAm, null, twoAm, twoAm.plusSeconds(600),
                Duration.ofMinutes(4));

        assertThat(decision.due()).isFalse();
        assertThat(decision.reason()).contains("idle");
        assertThat(policy.decide(SCHEDULED, twoAm, null, twoAm, twoAm.plusSeconds(600), Duration.ofMinutes(5))
                .due()).isTrue();
    }

    @Test
    void aScheduledUpdateDoesNotStartAtOrAfterTheEndOfItsWindow() {
        Instant fiveAm = twoAm.plus(Duration.ofHours(3));

        assertThat(policy.decide(SCHEDULED, twoAm, fiveAm, twoAm, fiveAm.minusSeconds(1), Duration.ofHours(5)).due())
                .isTrue();
        InstallPolicy.Decision missed = policy.decide(SCHEDULED, twoAm, fiveAm, twoAm, fiveAm, Duration.ofHours(5));
        assertThat(missed.due()).isFalse();
        assertThat(missed.reason()).isEqualTo("missed tonight's window, which closed at 2025-06-10T05:00 "
                + "America/Los_Angeles: waiting for the next night's turn from the server");
    }

    @Test
    void anUrgentUpdateIsNotBoundToTheWindow() {
        Instant fiveAm = twoAm.plus(Duration.ofHours(3));

        assertThat(policy.decide(URGENT, twoAm, fiveAm, twoAm, fiveAm.plus(Duration.ofHours(7)), Duration.ofHours(1))
                .due()).isTrue();
    }

    @Test
    void aScheduledForInThePastMeansAsSoonAsIdle() {
        Instant past = Instant.parse("2020-01-01T00:00:00Z");
        Instant noon = Instant.parse("2025-06-10T19:00:00Z");

        assertThat(policy.decide(SCHEDULED, past, null, noon, noon, Duration.ofMinutes(5)).due()).isTrue();
    }

    @Test
    void withoutAScheduleTheDeviceWaitsForItsOwnNextInstallHour() {
        Instant offered = Instant.parse("2025-06-10T20:00:00Z"); // 13:00 PDT
        Instant nextTwoAm = Instant.parse("2025-06-11T09:00:00Z");

        assertThat(policy.decide(SCHEDULED, null, null, offered, nextTwoAm.minusSeconds(1), Duration.ofHours(9))
                .due()).isFalse();
        assertThat(policy.decide(SCHEDULED, null, null, offered, nextTwoAm, Duration.ofHours(9)).due()).isTrue();
    }

    @Test
    void schedulesAtThreeAmOnTheNightTwoAmDoesNotExistInLosAngeles() {
        // 2025-03-09: clocks jump from 02:00 PST to 03:00 PDT
        Instant evening = ZonedDateTime.of(2025, 3, 8, 20, 0, 0, 0, LA).toInstant();

        Instant window = policy.nextWindow(evening);

        assertThat(window.atZone(LA).toLocalDateTime().toString()).isEqualTo("2025-03-09T03:00");
        assertThat(window).isEqualTo(Instant.parse("2025-03-09T10:00:00Z"));
    }

    @Test
    void takesTheFirstTwoAmOnTheNightItOccursTwiceInBerlin() {
        // 2025-10-26: 02:00-02:59 happens at +02:00, then again at +01:00
        InstallPolicy berlin = new InstallPolicy(BERLIN, 2, Duration.ofMinutes(5), Duration.ofHours(1));
        Instant evening = ZonedDateTime.of(2025, 10, 25, 22, 0, 0, 0, BERLIN).toInstant();

        assertThat(berlin.nextWindow(evening)).isEqualTo(Instant.parse("2025-10-26T00:00:00Z"));
    }

    @Test
    void staysAtTwoAmLocalOnTheNightsAfterAChangeOfTime() {
        Instant afterSpringForward = ZonedDateTime.of(2025, 3, 9, 12, 0, 0, 0, LA).toInstant();
        Instant afterFallBack = ZonedDateTime.of(2025, 11, 2, 12, 0, 0, 0, LA).toInstant();

        assertThat(policy.nextWindow(afterSpringForward)).isEqualTo(Instant.parse("2025-03-10T09:00:00Z"));
        assertThat(policy.nextWindow(afterFallBack)).isEqualTo(Instant.parse("2025-11-03T10:00:00Z"));
    }
}
