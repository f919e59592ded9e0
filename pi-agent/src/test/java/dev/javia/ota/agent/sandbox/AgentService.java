package dev.javia.ota.agent.sandbox;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.awaitility.core.ConditionTimeoutException;

/**
 * javia-ota-agent.service in a {@link DeviceSandbox}, as systemd runs it: ExecStart is the sandbox's run-agent with
 * the sandbox's environment; Restart=always after {@code restartSec}; {@code systemctl restart} of the unit (read
 * from the recording stand-in's file) stops the running agent with SIGTERM and starts it again at once. Unlike
 * systemd it gives up after {@code startLimit} starts, so that a test never loops for ever.
 * <p>
 * Each start's output (run-agent's, the guard's and the agent's) goes to its own file; which release it ran is read
 * from run-agent's "starting" line, and it is ready once its JVM ran {@code systemd-notify --ready} (Type=notify).
 * The state advances on a background thread and, so that a test sees the effect of a systemctl call it just made,
 * again inside every await.
 */
public final class AgentService implements AutoCloseable {

    public static final Duration DEFAULT_RESTART_SEC = Duration.ofMillis(100);
    public static final int DEFAULT_START_LIMIT = 20;
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(60);

    private static final Pattern RELEASE = Pattern.compile("run-agent: starting agent release (\\S+) ");
    private static final String LEGACY = "run-agent: starting the legacy agent ";

    private final DeviceSandbox sandbox;
    private final Map<String, String> extraEnv;
    private final Duration restartSec;
    private final int startLimit;
    private final List<Start> starts = new ArrayList<>();
    private final Thread supervisor;

    private Process process;
    private boolean active;
    private boolean closed;
    private long nextStartNanos;
    private int systemctlLinesSeen;

    public AgentService(DeviceSandbox sandbox, Map<String, String> extraEnv, Duration restartSec, int startLimit) {
        this.sandbox = sandbox;
        this.extraEnv = new LinkedHashMap<>(extraEnv);
        this.restartSec = restartSec;
        this.startLimit = startLimit;
        this.systemctlLinesSeen = sandbox.systemctlCalls().size();
        this.supervisor = new Thread(this::supervise, "agent-service");
        this.supervisor.setDaemon(true);
        this.supervisor.start();
    }

    /** The unit with the test agents' settings: nothing beyond the sandbox's environment. */
    public AgentService(DeviceSandbox sandbox) {
        this(sandbox, Map.of(), DEFAULT_RESTART_SEC, DEFAULT_START_LIMIT);
    }

    /** A new unit, started. */
    public static AgentService start(DeviceSandbox sandbox) {
        AgentService service = new AgentService(sandbox);
        service.start();
        return service;
    }

    /** {@code systemctl start}: the agent starts now (again after {@link #stop}, as at a boot). */
    public synchronized void start() {
        active = true;
        if (process == null) {
            spawn();
        }
    }

    /** {@code systemctl stop}: SIGTERM, and no restart. */
    public synchronized void stop() {
        active = false;
        terminate();
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            stop();
        }
        try {
            supervisor.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every start so far, in order. */
    public synchronized List<Start> starts() {
        reconcile();
        return List.copyOf(starts);
    }

    /** The release each start ran ("legacy" for the pre-releases jar, "?" before run-agent said), in order. */
    public List<String> releases() {
        return starts().stream().map(Start::release).collect(Collectors.toList());
    }

    /** The systemctl calls recorded so far (the stand-in's file), one line of arguments each. */
    public List<String> recordedSystemctl() {
        return sandbox.systemctlCalls();
    }

    /** Everything every start wrote (run-agent, the guard, the agent), start by start. */
    public synchronized String journal() {
        StringBuilder all = new StringBuilder();
        for (Start start : starts) {
            all.append("--- start ").append(start.number()).append(" (").append(start.release()).append(", exit ")
                    .append(start.exitCode() == null ? "running" : start.exitCode()).append(")\n")
                    .append(start.output());
        }
        return all.toString();
    }

    /** Waits until the latest start runs RELEASE and has told systemd it is ready; returns that start. */
    public Start awaitRunning(String release) {
        return awaitRunning(release, DEFAULT_WAIT);
    }

    public Start awaitRunning(String release, Duration bound) {
        return awaitLatest(start -> start.isRunning() && release.equals(start.release()) && start.isReady(), bound,
                "a running, ready start of " + release);
    }

    /** Waits until there have been at least N starts; returns the Nth (1-based). */
    public Start awaitStarts(int n) {
        awaitLatest(start -> start.number() >= n, DEFAULT_WAIT, n + " starts");
        return starts().get(n - 1);
    }

    private Start awaitLatest(Predicate<Start> condition, Duration bound, String what) {
        try {
            await().atMost(bound).pollInterval(Duration.ofMillis(25)).until(() -> {
                synchronized (this) {
                    reconcile();
                    return !starts.isEmpty() && condition.test(starts.get(starts.size() - 1));
                }
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no " + what + " within " + bound + "; starts " + releases() + ", systemctl "
                    + recordedSystemctl() + "\n" + journal(), e);
        }
        synchronized (this) {
            return starts.get(starts.size() - 1);
        }
    }

    private void supervise() {
        while (true) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                reconcile();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One step of systemd: restart requests first, then a dead agent's restart once RestartSec has passed. */
    private synchronized void reconcile() {
        List<String> calls = sandbox.systemctlCalls();
        for (String call : calls.subList(Math.min(systemctlLinesSeen, calls.size()), calls.size())) {
            List<String> words = List.of(call.trim().split("\\s+"));
            if (active && !closed && words.contains(DeviceSandbox.AGENT_UNIT) && words.contains("restart")) {
                terminate();
                spawn();
            }
        }
        systemctlLinesSeen = calls.size();
        if (process != null && !process.isAlive()) {
            current().exited(process.exitValue());
            process = null;
            nextStartNanos = System.nanoTime() + restartSec.toNanos();
        }
        if (process == null && active && !closed && System.nanoTime() - nextStartNanos >= 0) {
            if (starts.size() >= startLimit) {
                active = false;   // systemd would go on; a test must not
            } else {
                spawn();
            }
        }
    }

    private Start current() {
        return starts.get(starts.size() - 1);
    }

    private void spawn() {
        int number = starts.size() + 1;
        Path output = sandbox.root().resolve("journal").resolve("start-" + number + ".log");
        try {
            Files.createDirectories(output.getParent());
            ProcessBuilder builder = new ProcessBuilder(sandbox.agentLib().resolve("run-agent").toString())
                    .directory(sandbox.stateDir().toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            builder.environment().clear();
            builder.environment().putAll(sandbox.environment());
            builder.environment().putAll(extraEnv);
            process = builder.start();
            starts.add(new Start(number, process.pid(), output, sandbox.notifyLog()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start run-agent in " + sandbox.root(), e);
        }
    }

    /** SIGTERM to the agent (and whatever run-agent still runs), SIGKILL after TimeoutStopSec (here 10 s). */
    private void terminate() {
        if (process == null) {
            return;
        }
        Process stopping = process;
        process = null;
        stopping.descendants().forEach(ProcessHandle::destroy);
        stopping.destroy();
        try {
            if (!stopping.waitFor(10, TimeUnit.SECONDS)) {
                stopping.descendants().forEach(ProcessHandle::destroyForcibly);
                stopping.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        current().exited(stopping.isAlive() ? -1 : stopping.exitValue());
        nextStartNanos = System.nanoTime();
    }

    /** One start of the unit: its number (1-based), the main PID, what it wrote, how it ended. */
    public static final class Start {

        private final int number;
        private final long pid;
        private final Path output;
        private final Path notifyLog;
        private volatile Integer exitCode;

        Start(int number, long pid, Path output, Path notifyLog) {
            this.number = number;
            this.pid = pid;
            this.output = output;
            this.notifyLog = notifyLog;
        }

        public int number() {
            return number;
        }

        public long pid() {
            return pid;
        }

        /** The exit status, null while it runs. */
        public Integer exitCode() {
            return exitCode;
        }

        public boolean isRunning() {
            return exitCode == null;
        }

        void exited(int code) {
            if (exitCode == null) {
                exitCode = code;
            }
        }

        public String output() {
            try {
                return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The release run-agent started: a directory name under releases/, "legacy", or "?" before it said. */
        public String release() {
            String text = output();
            Matcher matcher = RELEASE.matcher(text);
            if (matcher.find()) {
                return matcher.group(1);
            }
            return text.contains(LEGACY) ? "legacy" : "?";
        }

        /** The agent ran {@code systemd-notify --ready} (or READY=1), from this start's JVM. */
        public boolean isReady() {
            try {
                return Files.readAllLines(notifyLog, StandardCharsets.UTF_8).stream()
                        .anyMatch(line -> line.startsWith(pid + " ")
                                && (line.contains("--ready") || line.contains("READY=1")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String toString() {
            return "start " + number + " (" + release() + ", pid " + pid + ", exit " + exitCode + ")";
        }
    }
}
