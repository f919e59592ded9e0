package dev.javia.ota.agent.system;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The exact command lines of systemctl, pip and systemd-notify. */
class SystemCommandsTests {

    private final RecordingCommandRunner runner = new RecordingCommandRunner();

    @Test
    void restartsWithoutBlockingAndReadsTheState() {
        Systemctl systemctl = new Systemctl(runner, Duration.ofSeconds(60));
        runner.answer(List.of("systemctl", "is-active"), CommandResult.exit(3, "activating\n"));

        systemctl.restart("voice-assistant-client");
        String state = systemctl.state("voice-assistant-client");

        assertThat(runner.lines()).containsExactly("systemctl --no-block restart voice-assistant-client",
                "systemctl is-active voice-assistant-client");
        assertThat(state).isEqualTo("activating");
    }

    @Test
    void aRefusedRestartSaysWhy() {
        runner.answer(List.of("systemctl", "--no-block"), CommandResult.exit(5,
                "Failed to restart voice-assistant-client.service: Unit not found."));

        assertThatThrownBy(() -> new Systemctl(runner, Duration.ofSeconds(60)).restart("voice-assistant-client"))
                .hasMessageContaining("Unit not found");
    }

    @Test
    void reloadsSystemdAndSaysWhatAFailedReloadLeaves() {
        Systemctl systemctl = new Systemctl(runner, Duration.ofSeconds(60));
        systemctl.daemonReload();
        assertThat(runner.lines()).containsExactly("systemctl daemon-reload");

        runner.answer(List.of("systemctl", "daemon-reload"), CommandResult.exit(1, "Access denied"));
        assertThatThrownBy(systemctl::daemonReload).hasMessageContaining("Access denied")
                .hasMessageContaining("without its release's drop-in");
    }

    @Test
    void installsRequirementsIntoTheReleasesOwnVenv(@TempDir Path release) throws IOException {
        Files.writeString(release.resolve("requirements.txt"), "requests==2.32.3\n");

        boolean installed = new PythonEnvironment(runner, Duration.ofMinutes(15)).install(release);

        assertThat(installed).isTrue();
        assertThat(runner.lines()).containsExactly(
                "python3 -m venv " + release.resolve("venv"),
                release.resolve("venv/bin/pip") + " install --no-input --disable-pip-version-check -r "
                        + release.resolve("requirements.txt"));
    }

    /**
     * venv and pip outside the agent's cgroup, as apt-get: a restart of the agent (a self-update, the watchdog) must
     * not kill pip half-way through a release's venv.
     */
    @Test
    void runsVenvAndPipInATransientUnitOutsideTheAgentsCgroup(@TempDir Path release) throws IOException {
        Files.writeString(release.resolve("requirements.txt"), "requests==2.32.3\n");

        new PythonEnvironment(runner, Duration.ofMinutes(15), true).install(release);

        assertThat(runner.commands()).hasSize(2).allSatisfy(command -> {
            assertThat(command.argv().subList(0, 6)).containsExactly("systemd-run", command.argv().get(1), "--collect",
                    "--wait", "--pipe", "--quiet");
            assertThat(command.timeout()).isEqualTo(Duration.ofMinutes(15));
        });
        assertThat(runner.commands().get(0).argv().get(1)).matches("--unit=javia-ota-python3-\\d+");
        assertThat(runner.commands().get(0).argv().subList(6, runner.commands().get(0).argv().size()))
                .containsExactly("--", "python3", "-m", "venv", release.resolve("venv").toString());
        assertThat(runner.commands().get(1).argv().get(1)).matches("--unit=javia-ota-pip-\\d+");
        assertThat(runner.commands().get(1).argv().subList(6, runner.commands().get(1).argv().size()))
                .containsExactly("--", release.resolve("venv/bin/pip").toString(), "install", "--no-input",
                        "--disable-pip-version-check", "-r", release.resolve("requirements.txt").toString());
        assertThat(runner.commands().get(0).argv().get(1)).isNotEqualTo(runner.commands().get(1).argv().get(1));
    }

    @Test
    void aTransientUnitCarriesTheCommandsEnvironmentAndDirectory(@TempDir Path dir) {
        Command command = Command.of(Duration.ofSeconds(10), "./healthcheck").withEnvironment("A", "1").in(dir);

        assertThat(new TransientUnit(true).wrap(command).argv()).containsSubsequence("systemd-run",
                "--working-directory=" + dir.toAbsolutePath(), "-E", "A=1", "--", "./healthcheck");
        assertThat(TransientUnit.OFF.wrap(command)).isEqualTo(command);
    }

    @Test
    void aReleaseWithoutRequirementsNeedsNoPip(@TempDir Path release) {
        assertThat(new PythonEnvironment(runner, Duration.ofMinutes(15)).install(release)).isFalse();
        assertThat(runner.commands()).isEmpty();
    }

    @Test
    void notifiesSystemdOnlyUnderANotifySocket() {
        new SystemdNotifier(runner, Map.of()).ready();
        assertThat(runner.commands()).isEmpty();

        SystemdNotifier notifier = new SystemdNotifier(runner, Map.of("NOTIFY_SOCKET", "/run/systemd/notify"));
        notifier.ready();
        notifier.watchdog();

        assertThat(runner.lines()).containsExactly("systemd-notify READY=1", "systemd-notify WATCHDOG=1");
    }
}
