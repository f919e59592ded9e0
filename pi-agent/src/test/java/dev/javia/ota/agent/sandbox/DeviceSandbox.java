package dev.javia.ota.agent.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Pi's disk for the agent's self-update, under one directory: the agent's home (releases, {@code current},
 * {@code previous}, the legacy jar), {@code /usr/lib/javia-agent} as the .deb installs it (copies of this checkout's
 * deploy/agent/), the state directory with the trial file, the unit's drop-in directory, a {@link FakeProc}, and
 * stand-ins first on PATH: {@code systemctl} and {@code systemd-notify} append their arguments to a file (which
 * {@link AgentService} reads to restart the agent and to know it is ready).
 * <p>
 * {@link #switchAgent} does what the old agent does at the switch, so that the guard can be tested before (and
 * without) the real agent; with the real agent in the sandbox it does that itself.
 */
public final class DeviceSandbox {

    public static final String AGENT_UNIT = "javia-ota-agent.service";
    public static final String DROPIN_NAME = "50-release.conf";
    public static final String RELEASE_DROPIN = "javia-ota-agent.conf";

    private final Path root;
    private final Path agentHome;
    private final Path agentLib;
    private final Path stateDir;
    private final Path dropinDir;
    private final Path bin;
    private final Path systemctlLog;
    private final Path notifyLog;
    private final FakeProc proc;

    private DeviceSandbox(Path root) {
        this.root = root;
        this.agentHome = root.resolve("opt/javia-agent");
        this.agentLib = root.resolve("usr/lib/javia-agent");
        this.stateDir = root.resolve("var/lib/javia-agent");
        this.dropinDir = root.resolve("etc/systemd/system/" + AGENT_UNIT + ".d");
        this.bin = root.resolve("bin");
        this.systemctlLog = root.resolve("systemctl.log");
        this.notifyLog = root.resolve("systemd-notify.log");
        this.proc = new FakeProc(root.resolve("proc"));
    }

    /** An empty device with the agent's package installed: run-agent, the guard and jvm.options of this checkout. */
    public static DeviceSandbox create(Path root) throws IOException {
        DeviceSandbox sandbox = new DeviceSandbox(root);
        for (Path dir : List.of(sandbox.agentHome.resolve("releases"), sandbox.agentLib, sandbox.stateDir,
                sandbox.bin)) {
            Files.createDirectories(dir);
        }
        Path deployAgent = repositoryRoot().resolve("deploy/agent");
        for (String name : List.of("run-agent", "javia-agent-guard", "jvm.options")) {
            Files.copy(deployAgent.resolve(name), sandbox.agentLib.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Files.createFile(sandbox.systemctlLog);
        Files.createFile(sandbox.notifyLog);
        sandbox.script("systemctl", "printf '%s\\n' \"$*\" >> '" + sandbox.systemctlLog + "'");
        // systemd-notify's parent is the agent's JVM: the pid tells AgentService which start is ready.
        sandbox.script("systemd-notify", "printf '%s %s\\n' \"$PPID\" \"$*\" >> '" + sandbox.notifyLog + "'");
        return sandbox;
    }

    /** deploy/agent/ of this checkout, found from the working directory (the module's, under Maven). */
    public static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("deploy/agent/run-agent"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no deploy/agent/run-agent above " + Path.of("").toAbsolutePath());
    }

    private void script(String name, String body) throws IOException {
        Path file = bin.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\nexit 0\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    public Path root() {
        return root;
    }

    public Path agentHome() {
        return agentHome;
    }

    public Path agentLib() {
        return agentLib;
    }

    public Path stateDir() {
        return stateDir;
    }

    public Path dropinDir() {
        return dropinDir;
    }

    public Path trialPath() {
        return stateDir.resolve(TrialFile.NAME);
    }

    public Path notifyLog() {
        return notifyLog;
    }

    public FakeProc proc() {
        return proc;
    }

    /**
     * The environment systemd would give run-agent and the guard, pointed into the sandbox. The agent's own settings
     * (SERVER_URL, ...) are the caller's to add.
     */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", root.toString());
        env.put("LANG", "C.UTF-8");
        env.put("AGENT_HOME", agentHome.toString());
        env.put("AGENT_LIB", agentLib.toString());
        env.put("STATE_DIR", stateDir.toString());
        env.put("AGENT_UNIT_DROPIN_DIR", dropinDir.toString());
        env.put("JAVIA_PROC", proc.root().toString());
        env.put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Type=notify: systemd sets it; the agent notifies only when it is set (the stand-in ignores the value).
        env.put("NOTIFY_SOCKET", root.resolve("notify.sock").toString());
        // class-data sharing writes an archive at every first stop of a release: RunAgentClassDataTests turn it on
        env.put("AGENT_CDS", "off");
        env.put("AGENT_CDS_DIR", root.resolve("var/cache/javia-agent").toString());
        return env;
    }

    /** Installs releases/VERSION with its jar and VERSION file; returns the release directory. */
    public Path installRelease(String version, Path jar) throws IOException {
        return installRelease(version, jar, null, null);
    }

    /**
     * Installs releases/VERSION; {@code jvmOptions} (the release's own flags) and {@code unitDropin} (its
     * javia-ota-agent.conf) are written when not null.
     */
    public Path installRelease(String version, Path jar, String jvmOptions, String unitDropin) throws IOException {
        Path release = agentHome.resolve("releases").resolve(version);
        Files.createDirectories(release);
        Files.copy(jar, release.resolve("pi-agent.jar"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(release.resolve("VERSION"), version + "\n", StandardCharsets.UTF_8);
        if (jvmOptions != null) {
            Files.writeString(release.resolve("jvm.options"), jvmOptions, StandardCharsets.UTF_8);
        }
        if (unitDropin != null) {
            Files.writeString(release.resolve(RELEASE_DROPIN), unitDropin, StandardCharsets.UTF_8);
        }
        return release;
    }

    /** The layout before agent releases: /opt/javia-agent/pi-agent.jar and no current. */
    public void installLegacy(Path jar) throws IOException {
        Files.copy(jar, agentHome.resolve("pi-agent.jar"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** Points current at releases/VERSION (as the .deb or an earlier switch left it), with its drop-in link. */
    public void makeCurrent(String version) throws IOException {
        replaceLink(agentHome.resolve("current"), Path.of("releases", version));
        linkDropin();
    }

    /**
     * What the old agent does at the switch (spec 16): previous set, the trial file written, current moved, the
     * drop-in link made or removed, {@code systemctl daemon-reload}, {@code systemctl --no-block restart}. The
     * systemctl calls go through the stand-in, so a running {@link AgentService} restarts.
     */
    public void switchAgent(String from, String to, String... extraTrialLines) throws IOException {
        if (!"legacy".equals(from)) {
            replaceLink(agentHome.resolve("previous"), Files.readSymbolicLink(agentHome.resolve("current")));
        }
        TrialFile.started(from, to, proc, extraTrialLines).writeTo(trialPath());
        replaceLink(agentHome.resolve("current"), Path.of("releases", to));
        linkDropin();
        systemctl("daemon-reload");
        systemctl("--no-block", "restart", AGENT_UNIT);
    }

    private void linkDropin() throws IOException {
        Path link = dropinDir.resolve(DROPIN_NAME);
        if (Files.exists(agentHome.resolve("current").resolve(RELEASE_DROPIN))) {
            Files.createDirectories(dropinDir);
            replaceLink(link, agentHome.resolve("current").resolve(RELEASE_DROPIN));
        } else {
            Files.deleteIfExists(link);
        }
    }

    private static void replaceLink(Path link, Path target) throws IOException {
        Path tmp = link.resolveSibling(link.getFileName() + ".test-tmp");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, target);
        Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Runs the systemctl stand-in, as the agent would. */
    public void systemctl(String... args) {
        List<String> command = new ArrayList<>();
        command.add(bin.resolve("systemctl").toString());
        command.addAll(List.of(args));
        run(command, Map.of(), root.resolve("systemctl-run.out"));
    }

    /** Every systemctl call so far, one line of arguments each, in order. */
    public List<String> systemctlCalls() {
        try {
            return Files.readAllLines(systemctlLog, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The release {@code current} points at (its directory name), empty when there is no current. */
    public Optional<String> currentRelease() throws IOException {
        Path current = agentHome.resolve("current");
        if (!Files.isSymbolicLink(current)) {
            return Optional.empty();
        }
        return Optional.of(Files.readSymbolicLink(current).getFileName().toString());
    }

    public Optional<TrialFile> trial() throws IOException {
        return TrialFile.read(trialPath());
    }

    /** Runs the guard as the timer or run-agent would ({@code check}, {@code start}); {@code extraEnv} adds hooks. */
    public GuardRun guard(Map<String, String> extraEnv, String... args) {
        List<String> command = new ArrayList<>();
        command.add(agentLib.resolve("javia-agent-guard").toString());
        command.addAll(List.of(args));
        Path output = root.resolve("guard-run.out");
        int exit = run(command, extraEnv, output);
        try {
            return new GuardRun(exit, Files.readString(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public GuardRun guard(String... args) {
        return guard(Map.of(), args);
    }

    /** One run of the guard: its exit status and what it logged. */
    public record GuardRun(int exitCode, String output) {
    }

    private int run(List<String> command, Map<String, String> extraEnv, Path output) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().clear();
        builder.environment().putAll(environment());
        builder.environment().putAll(extraEnv);
        try {
            Process process = builder.start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError(command + " did not end within 60 s: " + Files.readString(output));
            }
            return process.exitValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }
}
