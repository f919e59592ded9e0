package dev.javia.ota.agent.system;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AptTests {

    private static final String INSTALL = "apt-get -o DPkg::Lock::Timeout=120 install -y -q --no-install-recommends "
            + "-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -- ";
    private final RecordingCommandRunner runner = new RecordingCommandRunner();
    private final Apt apt = new Apt(runner, Duration.ofMinutes(30), 120, 3, duration -> {
    }, false);

    @Test
    void installsNonInteractivelyWithTheNamesAfterADoubleDash() {
        apt.install(List.of("libopus0", "python3-numpy=1:1.24.2-1"));

        assertThat(runner.lines()).containsExactly(
                "apt-get -o DPkg::Lock::Timeout=120 update",
                "apt-cache pkgnames -- libopus0",
                "apt-cache pkgnames -- python3-numpy",
                INSTALL + "libopus0 python3-numpy=1:1.24.2-1");
        assertThat(runner.commands()).allSatisfy(command -> {
            if (command.program().equals("apt-get")) {
                assertThat(command.environment()).containsEntry("DEBIAN_FRONTEND", "noninteractive");
            }
        });
    }

    @Test
    void refusesNamesThatWouldActAsOptionsRemovalsOrPatternsBeforeRunningAnything() {
        for (String name : List.of("-oDebug::NoLocking=1", "libopus0-", "zlib1.*", "Libopus", "a", "x;rm -rf /")) {
            assertThatThrownBy(() -> apt.install(List.of("libopus0", name)))
                    .isInstanceOf(CommandFailedException.class).hasMessageContaining(name);
        }
        assertThat(runner.commands()).isEmpty();
    }

    @Test
    void refusesANameAptDoesNotKnowExactly() {
        // apt would fall back to a regular expression: zlib1.+ matches zlib1g and zlib1g-dev
        runner.answer(List.of("apt-cache", "pkgnames"), CommandResult.ok("zlib1g\nzlib1g-dev\n"));

        assertThatThrownBy(() -> apt.install(List.of("zlib1.+")))
                .isInstanceOf(CommandFailedException.class).hasMessageContaining("not known to apt");
        assertThat(runner.lines()).noneMatch(line -> line.contains(" install "));
    }

    @Test
    void waitsForALockedDpkgABoundedNumberOfTimes() {
        runner.answer(List.of("apt-get", "-o", "DPkg::Lock::Timeout=120", "install"), CommandResult.exit(100,
                "E: Could not get lock /var/cache/apt/archives/lock. It is held by process 4242 (apt-get)"));

        assertThatThrownBy(() -> apt.install(List.of("libopus0")))
                .isInstanceOf(CommandFailedException.class).hasMessageContaining("dpkg lock");
        assertThat(runner.lines()).filteredOn(line -> line.startsWith(INSTALL)).hasSize(3);
    }

    @Test
    void repairsAnInterruptedDpkgAndTriesAgain() {
        int[] attempts = {0};
        runner.answer(List.of("apt-get", "-o", "DPkg::Lock::Timeout=120", "install"), command -> attempts[0]++ == 0
                ? CommandResult.exit(100, "E: dpkg was interrupted, you must manually run 'dpkg --configure -a'")
                : CommandResult.ok(""));

        apt.install(List.of("libopus0"));

        assertThat(runner.lines()).endsWith(INSTALL + "libopus0", "dpkg --configure -a", INSTALL + "libopus0");
    }

    @Test
    void canRunOutsideTheAgentsCgroup() {
        Apt scoped = new Apt(runner, Duration.ofMinutes(30), 120, 3, duration -> {
        }, true);

        scoped.install(List.of("libopus0"));

        assertThat(runner.lines()).last().asString().matches("systemd-run --unit=javia-ota-apt-get-\\d+ --collect "
                + "--wait --pipe --quiet -E DEBIAN_FRONTEND=noninteractive -- " + INSTALL.replace("+", "\\+")
                .replace(".", "\\.") + "libopus0");
    }
}
