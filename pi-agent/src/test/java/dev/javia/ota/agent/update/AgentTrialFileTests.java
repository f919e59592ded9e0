package dev.javia.ota.agent.update;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The trial file as the guard (a shell script) reads and writes it: key=value lines, unknown keys kept. */
class AgentTrialFileTests {

    private static final UUID UPDATE = UUID.fromString("0190f5c8-7a4e-7cc2-9b5e-3f1a2b4c5d6e");

    @Test
    void aTrialIsWrittenAsTheSpecListsIt(@TempDir Path dir) throws IOException {
        AgentTrialFile file = new AgentTrialFile(dir);

        file.write(AgentTrialFile.Trial.start(UPDATE, "v0.1.0", "v0.2.0", "3f1c-boot", 1234, Duration.ofSeconds(300)));

        assertThat(Files.readString(dir.resolve("agent-trial"))).isEqualTo("""
                format=1
                state=trial
                update_id=0190f5c8-7a4e-7cc2-9b5e-3f1a2b4c5d6e
                from=v0.1.0
                to=v0.2.0
                boot_id=3f1c-boot
                since_uptime=1234
                check_in_seconds=300
                starts=0
                max_starts=3
                reason=
                """);
        assertThat(Files.getPosixFilePermissions(dir.resolve("agent-trial")))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }

    @Test
    void aCommitKeepsTheKeysAndTheOrderTheGuardWrote(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("agent-trial"), """
                format=1
                state=trial
                update_id=0190f5c8-7a4e-7cc2-9b5e-3f1a2b4c5d6e
                from=legacy
                to=v0.2.0
                boot_id=b2
                since_uptime=40
                check_in_seconds=300
                starts=2
                max_starts=3
                reason=
                last_start_uptime=41
                """);
        AgentTrialFile file = new AgentTrialFile(dir);

        AgentTrialFile.Trial trial = file.read().orElseThrow();
        assertThat(trial.isTrial()).isTrue();
        assertThat(trial.belongsTo(UPDATE)).isTrue();
        assertThat(trial.from()).isEqualTo("legacy");
        file.write(trial.committed());

        assertThat(Files.readString(dir.resolve("agent-trial"))).isEqualTo("""
                format=1
                state=committed
                update_id=0190f5c8-7a4e-7cc2-9b5e-3f1a2b4c5d6e
                from=legacy
                to=v0.2.0
                boot_id=b2
                since_uptime=40
                check_in_seconds=300
                starts=2
                max_starts=3
                reason=
                last_start_uptime=41
                """);
    }

    @Test
    void theGuardsReasonIsReadWholeAndAReasonWrittenHereIsOneLine(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("agent-trial"), "format=1\nstate=reverted\nto=v0.2.0\nfrom=v0.1.0\n"
                + "reason=did not check in with the server within 300 s; a=b\n");
        AgentTrialFile file = new AgentTrialFile(dir);

        AgentTrialFile.Trial trial = file.read().orElseThrow();
        assertThat(trial.isReverted()).isTrue();
        assertThat(trial.reason()).isEqualTo("did not check in with the server within 300 s; a=b");

        file.write(trial.reverted("two\nlines"));
        assertThat(file.read().orElseThrow().reason()).isEqualTo("two lines");
    }

    @Test
    void theFirstLineOfAKeyWinsAsInTheGuardAndARevertEndsTheGuardsMark(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("agent-trial"), "format=1\nstate=trial\nstate=committed\nto=v0.2.0\n"
                + "reverting=1\nreason=the guard's words\n");
        AgentTrialFile file = new AgentTrialFile(dir);

        AgentTrialFile.Trial trial = file.read().orElseThrow();
        assertThat(trial.state()).isEqualTo("trial");
        assertThat(trial.isReverting()).isTrue();
        file.write(trial.reverted(trial.reason()));

        assertThat(Files.readString(dir.resolve("agent-trial")))
                .isEqualTo("format=1\nstate=reverted\nto=v0.2.0\nreason=the guard's words\n");
    }

    @Test
    void noFileIsNoTrial(@TempDir Path dir) {
        assertThat(new AgentTrialFile(dir).read()).isEmpty();
    }
}
