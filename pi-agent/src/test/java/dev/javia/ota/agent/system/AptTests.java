package dev.javia.ota.agent.system;

import org.junit.jupiter.api.Test;

import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

    /** A power cut in an earlier dpkg run: dpkg's database says so, and it is finished before the next apt step. */
    @Test
    void finishesAnInterruptedDpkgBeforeTheNextAptStep(@TempDir Path dpkgDir) throws IOException {
        Files.createDirectories(dpkgDir.resolve("updates"));
        Files.writeString(dpkgDir.resolve("updates/0001"), "Package: libopus0\nStatus: install ok unpacked\n");
        Apt repairing = new Apt(runner, Duration.ofMinutes(30), 120, 3, duration -> {
        }, false, new DpkgStatus(dpkgDir));

        repairing.install(List.of("libopus0"));

        assertThat(runner.lines()).startsWith("dpkg --configure -a", "apt-get -o DPkg::Lock::Timeout=120 update");
        assertThat(runner.commands().get(0).environment()).containsEntry("DEBIAN_FRONTEND", "noninteractive");
    }

    @Test
    void readsAHalfConfiguredPackageInDpkgsStatusAsAnInterruptedRun(@TempDir Path dpkgDir) throws IOException {
        Files.writeString(dpkgDir.resolve("status"), "Package: bash\nStatus: install ok installed\n\n"
                + "Package: libopus0\nStatus: install ok half-configured\nVersion: 1.3.1-3\n");

        assertThat(new DpkgStatus(dpkgDir).interruption()).hasValueSatisfying(why -> assertThat(why)
                .contains("libopus0 is half-configured"));
    }

    @Test
    void aCleanDpkgNeedsNoRepair(@TempDir Path dpkgDir) throws IOException {
        Files.createDirectories(dpkgDir.resolve("updates"));
        Files.writeString(dpkgDir.resolve("status"), "Package: bash\nStatus: install ok installed\n\n"
                + "Package: old\nStatus: deinstall ok config-files\n");
        Apt clean = new Apt(runner, Duration.ofMinutes(30), 120, 3, duration -> {
        }, false, new DpkgStatus(dpkgDir));

        clean.install(List.of("libopus0"));

        assertThat(new DpkgStatus(dpkgDir).interruption()).isEmpty();
        assertThat(runner.lines()).noneMatch(line -> line.startsWith("dpkg "));
    }

    /**
     * unattended-upgrades holds dpkg's lock past apt's own wait: the call is tried again, the lock's wait apart, and
     * when it never frees, the failure names who held it.
     */
    @Test
    void waitsForUnattendedUpgradesAndNamesItWhenItHoldsTheLockThroughout() {
        List<Duration> slept = new ArrayList<>();
        Apt waiting = new Apt(runner, Duration.ofMinutes(30), 120, 3, slept::add, false);
        runner.answer(List.of("apt-get", "-o", "DPkg::Lock::Timeout=120", "install"), CommandResult.exit(100,
                "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (unattended-upgr)\n"
                        + "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another "
                        + "process using it?"));

        assertThatThrownBy(() -> waiting.install(List.of("libopus0")))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("unattended-upgrades (process 812) held the dpkg lock for the whole wait");
        assertThat(runner.lines()).filteredOn(line -> line.startsWith(INSTALL)).hasSize(3);
        assertThat(slept).containsExactly(Duration.ofSeconds(120), Duration.ofSeconds(120));
    }

    @Test
    void installsOnceUnattendedUpgradesLetsGoOfTheLock() {
        int[] attempts = {0};
        runner.answer(List.of("apt-get", "-o", "DPkg::Lock::Timeout=120", "install"), command -> attempts[0]++ == 0
                ? CommandResult.exit(100, "E: Could not get lock /var/cache/apt/archives/lock. It is held by process "
                        + "812 (unattended-upgr)")
                : CommandResult.ok("Setting up libopus0 (1.3.1-3) ...\n"));

        apt.install(List.of("libopus0"));

        assertThat(runner.lines()).filteredOn(line -> line.startsWith(INSTALL)).hasSize(2);
    }

    /** dpkg --configure -a has no wait of its own: its lock failure (exit 2) is retried like apt's. */
    @Test
    void retriesTheRepairWhileAnotherDpkgHoldsItsLock(@TempDir Path dpkgDir) throws IOException {
        Files.createDirectories(dpkgDir.resolve("updates"));
        Files.writeString(dpkgDir.resolve("updates/0003"), "");
        int[] attempts = {0};
        runner.answer(List.of("dpkg", "--configure"), command -> attempts[0]++ == 0 ? CommandResult.exit(2,
                "dpkg: error: dpkg frontend lock was locked by another process with pid 812\nNote: removing the lock "
                        + "file is always wrong") : CommandResult.ok(""));
        Apt repairing = new Apt(runner, Duration.ofMinutes(30), 120, 3, duration -> {
        }, false, new DpkgStatus(dpkgDir));

        repairing.install(List.of("libopus0"));

        assertThat(runner.lines()).startsWith("dpkg --configure -a", "dpkg --configure -a",
                "apt-get -o DPkg::Lock::Timeout=120 update");
    }

    @Test
    void theRepairRunsOutsideTheAgentsCgroupToo(@TempDir Path dpkgDir) throws IOException {
        Files.createDirectories(dpkgDir.resolve("updates"));
        Files.writeString(dpkgDir.resolve("updates/0001"), "");
        Apt scoped = new Apt(runner, Duration.ofMinutes(30), 120, 3, duration -> {
        }, true, new DpkgStatus(dpkgDir));

        scoped.install(List.of("libopus0"));

        assertThat(runner.commands().get(0).argv()).containsSubsequence("systemd-run", "--collect", "--wait",
                "--pipe", "-E", "DEBIAN_FRONTEND=noninteractive", "--", "dpkg", "--configure", "-a");
        assertThat(runner.commands()).filteredOn(command -> !command.program().equals("apt-cache"))
                .allSatisfy(command -> assertThat(command.program()).isEqualTo("systemd-run"));
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
