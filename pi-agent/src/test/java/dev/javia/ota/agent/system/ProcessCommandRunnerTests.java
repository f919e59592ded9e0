package dev.javia.ota.agent.system;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The real runner on real processes ({@code sh}, present on every Debian). */
class ProcessCommandRunnerTests {

    private final ProcessCommandRunner runner = new ProcessCommandRunner();

    @Test
    void capturesOutputAndErrorAndTheExitCode() {
        CommandResult result = runner.run(Command.of(Duration.ofSeconds(10), "sh", "-c",
                "echo out; echo err >&2; exit 3"));

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.output()).contains("out").contains("err");
        assertThat(result.describe()).startsWith("exit code 3");
    }

    @Test
    void passesTheExtraEnvironment() {
        CommandResult result = runner.run(Command.of(Duration.ofSeconds(10), "sh", "-c", "echo $DEBIAN_FRONTEND")
                .withEnvironment("DEBIAN_FRONTEND", "noninteractive"));

        assertThat(result.output().strip()).isEqualTo("noninteractive");
    }

    @Test
    void killsACommandThatOutlivesItsTimeout() {
        CommandResult result = runner.run(Command.of(Duration.ofMillis(300), "sh", "-c", "sleep 30"));

        assertThat(result.timedOut()).isTrue();
        assertThat(result.succeeded()).isFalse();
    }

    @Test
    void aProgramNotOnThePathEndsWith127() {
        CommandResult result = runner.run(Command.of(Duration.ofSeconds(10), "no-such-program-javia"));

        assertThat(result.exitCode()).isEqualTo(127);
        assertThat(result.output()).contains("no-such-program-javia");
    }

    @Test
    void keepsTheEndOfALongOutput() {
        CommandResult result = runner.run(Command.of(Duration.ofSeconds(10), "sh", "-c",
                "i=0; while [ $i -lt 5000 ]; do echo line $i; i=$((i+1)); done; echo THE-END"));

        assertThat(result.output()).hasSizeLessThanOrEqualTo(ProcessCommandRunner.KEEP_BYTES).endsWith("THE-END\n");
    }
}
