package dev.javia.ota.agent.system;

import dev.javia.ota.protocol.pkg.DebianPackageNames;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Installs Debian packages non-interactively. Names reach the command line only after three checks: Debian's
 * name rule, an exact match in apt's package list (so {@code zlib1.+} can never act as a regular expression), and a
 * {@code --} before them (so {@code -oDebug::NoLocking=1} can never act as an option). See FIELD-NOTES "apt-get".
 */
public final class Apt {

    private static final Logger LOG = Logger.getLogger(Apt.class.getName());
    /** apt-get's exit code for "could not do it", including every lock it did not get. */
    private static final int APT_FAILURE = 100;
    /** dpkg's exit code for an error, including a lock it could not take. */
    private static final int DPKG_FAILURE = 2;
    private static final Pattern HOLDER = Pattern.compile("held by process (\\d+) \\(([^)]+)\\)");

    private final CommandRunner runner;
    private final Duration timeout;
    private final int lockTimeoutSeconds;
    private final int lockAttempts;
    private final Sleeper sleeper;
    private final TransientUnit unit;
    private final DpkgStatus dpkg;

    /**
     * @param lockTimeoutSeconds how long dpkg's frontend lock is waited for inside one apt-get call
     * @param lockAttempts       how often a call that failed on the lists or archives lock (apt does not wait for
     *                           those) is tried in all, {@code lockTimeoutSeconds} apart
     * @param viaSystemdRun      run apt-get in a transient unit, outside the agent's cgroup, so that a restart or a
     *                           watchdog kill of the agent never leaves dpkg half-configured
     */
    public Apt(CommandRunner runner, Duration timeout, int lockTimeoutSeconds, int lockAttempts, Sleeper sleeper,
            boolean viaSystemdRun) {
        this(runner, timeout, lockTimeoutSeconds, lockAttempts, sleeper, viaSystemdRun, DpkgStatus.UNREAD);
    }

    /** @param dpkg dpkg's database, read before the first apt step for a run that was cut short */
    public Apt(CommandRunner runner, Duration timeout, int lockTimeoutSeconds, int lockAttempts, Sleeper sleeper,
            boolean viaSystemdRun, DpkgStatus dpkg) {
        this.runner = runner;
        this.timeout = timeout;
        this.lockTimeoutSeconds = lockTimeoutSeconds;
        this.lockAttempts = Math.max(1, lockAttempts);
        this.sleeper = sleeper;
        this.unit = new TransientUnit(viaSystemdRun);
        this.dpkg = dpkg;
    }

    /** Installs {@code packages} (names, optionally {@code name=version}); throws with an operator's message. */
    public void install(List<String> packages) {
        if (packages.isEmpty()) {
            return;
        }
        for (String name : packages) {
            if (!DebianPackageNames.isValid(name)) {
                throw new CommandFailedException("system package '" + name + "' is not a valid Debian package name ("
                        + DebianPackageNames.RULE + "); nothing was installed");
            }
        }
        repairIfInterrupted();
        CommandResult update = withLockRetries(apt("update"));
        if (!update.succeeded()) {
            // Old lists may still hold what is needed: go on, the install says clearly if they do not.
            LOG.warning("apt-get update failed (" + update.describe() + "); installing from the lists already there");
        }
        for (String name : packages) {
            requireKnown(name.split("=", 2)[0]);
        }
        List<String> install = new ArrayList<>(List.of("install", "-y", "-q", "--no-install-recommends",
                "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "--"));
        install.addAll(packages);
        CommandResult result = withLockRetries(apt(install.toArray(String[]::new)));
        if (!result.succeeded() && mentions(result, "dpkg was interrupted")) {
            // a power cut in an earlier dpkg run: finish its configuration, then try once more
            configurePending("apt-get said dpkg was interrupted");
            result = withLockRetries(apt(install.toArray(String[]::new)));
        }
        if (!result.succeeded()) {
            String lock = isLockFailure(result) ? " (" + lockHolder(result) + " held the dpkg lock for the whole wait; it "
                    + "ends on its own, and the next update tries again)" : "";
            throw new CommandFailedException("apt-get install " + String.join(" ", packages) + " failed" + lock + ": "
                    + result.describe());
        }
    }

    /**
     * A power cut in an earlier dpkg run (an update's, or unattended-upgrades') leaves packages half-configured, and
     * every apt-get after it refuses to act. dpkg's database says so ({@link DpkgStatus}): then
     * {@code dpkg --configure -a} finishes their configuration before the next apt step.
     */
    private void repairIfInterrupted() {
        dpkg.interruption().ifPresent(this::configurePending);
    }

    private void configurePending(String why) {
        LOG.warning("dpkg was interrupted (" + why + "): running dpkg --configure -a first");
        CommandResult repair = withLockRetries(wrap(List.of("dpkg", "--configure", "-a")));
        LOG.info("dpkg --configure -a: " + repair.describe());
    }

    private void requireKnown(String name) {
        CommandResult known = runner.run(Command.of(timeout, "apt-cache", "pkgnames", "--", name));
        if (!known.succeeded() || known.output().lines().map(String::strip).noneMatch(name::equals)) {
            throw new CommandFailedException("system package '" + name + "' is not known to apt on this device "
                    + "(check the name and the device's apt sources); nothing was installed");
        }
    }

    private Command apt(String... arguments) {
        List<String> argv = new ArrayList<>(List.of("apt-get", "-o", "DPkg::Lock::Timeout=" + lockTimeoutSeconds));
        argv.addAll(List.of(arguments));
        return wrap(argv);
    }

    private Command wrap(List<String> argv) {
        return unit.wrap(Command.of(timeout, argv).withEnvironment("DEBIAN_FRONTEND", "noninteractive"));
    }

    private CommandResult withLockRetries(Command command) {
        CommandResult result = runner.run(command);
        for (int attempt = 1; attempt < lockAttempts && isLockFailure(result); attempt++) {
            LOG.info(command.display() + ": dpkg/apt lock busy, attempt " + attempt + " of " + lockAttempts);
            try {
                sleeper.sleep(Duration.ofSeconds(lockTimeoutSeconds));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return result;
            }
            result = runner.run(command);
        }
        return result;
    }

    /** apt-get's lock failures (exit 100), and dpkg's own (exit 2: "dpkg frontend lock was locked by ..."). */
    private static boolean isLockFailure(CommandResult result) {
        return (result.exitCode() == APT_FAILURE || result.exitCode() == DPKG_FAILURE)
                && (mentions(result, "could not get lock") || mentions(result, "unable to acquire")
                || mentions(result, "is another process using it") || mentions(result, "frontend lock"));
    }

    /** Who held the lock, as apt says it ("It is held by process 4242 (unattended-upgr)"), for the message. */
    private static String lockHolder(CommandResult result) {
        Matcher holder = HOLDER.matcher(result.output());
        if (!holder.find()) {
            return "another package manager";
        }
        String name = holder.group(2);
        // the kernel cuts process names to 15 characters
        String shown = name.startsWith("unattended-upgr") ? "unattended-upgrades" : name;
        return shown + " (process " + holder.group(1) + ")";
    }

    private static boolean mentions(CommandResult result, String text) {
        return result.output().toLowerCase(Locale.ROOT).contains(text);
    }
}
