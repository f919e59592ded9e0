package dev.javia.ota.agent.update;

import dev.javia.ota.agent.identity.DeviceIdentity;
import dev.javia.ota.agent.system.AppHealth;
import dev.javia.ota.agent.system.Apt;
import dev.javia.ota.agent.system.CommandResult;
import dev.javia.ota.agent.system.PythonEnvironment;
import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.agent.system.Systemctl;
import dev.javia.ota.agent.testing.FakeServer;
import dev.javia.ota.agent.testing.MutableClock;
import dev.javia.ota.agent.transport.DeviceSession;
import dev.javia.ota.agent.transport.ServerClient;
import dev.javia.ota.agent.transport.ServerUnavailableException;
import dev.javia.ota.protocol.api.RegisterDevice;
import dev.javia.ota.protocol.api.UpdateOffer;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageSignatures;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.PublisherKeySet;
import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.PublisherSignature;
import dev.javia.ota.protocol.trust.RollbackStatement;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One device on a temporary disk: an install root already on v1.0.0, a state dir, a fake server and a recording
 * command runner. Machines built from it share the disk, as successive runs of the agent on one Pi do.
 */
final class DeviceFixture implements AutoCloseable {

    /** What a cut of the power looks like to the code: nothing after it runs. */
    static final class PowerCut extends Error {
        PowerCut(String where) {
            super("power cut " + where);
        }
    }

    static final String SERVICE = "voice-assistant-client";
    static final String AGENT_UNIT = "javia-ota-agent.service";
    /** The agent the device runs at first, from {@code AGENT_HOME/releases/v0.1.0}. */
    static final String FIRST_AGENT = "v0.1.0";

    final Path installDir;
    final Path stateDir;
    final Path workDir;
    final Path procDir;
    final AgentHome agentHome;
    /** The version of the agent process that the next {@link #machine} stands for; see {@link #startAgent}. */
    String agentVersion;
    final FakeServer server = new FakeServer();
    final RecordingCommandRunner runner = new RecordingCommandRunner();
    final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    final InstallRoot root;
    final List<String> chain = new ArrayList<>();
    /** This agent process's session; {@link #startAgent} makes a new one, as a new process has (same token files). */
    DeviceSession session;
    private final Path home;
    final ServerClient client;
    Consumer<String> afterSave = name -> {
    };
    Duration healthCheck = Duration.ofSeconds(30);
    Duration idle = Duration.ofHours(2);
    int maxTransitions = 50;
    /** The app's own health check: none by default (systemd's is-active alone). */
    AppHealth appHealth = AppHealth.NONE;
    /** The usable space on every filesystem: plenty by default; records each path asked about. */
    final List<Path> spaceAsked = new ArrayList<>();
    long usableBytes = 100L * 1000 * 1000 * 1000;
    /** The usable space by path: {@link #usableBytes} everywhere unless a test answers otherwise. */
    java.util.function.ToLongFunction<Path> usableAt = path -> usableBytes;
    long diskMargin = 50_000_000L;
    /** Counts the loop's "alive" calls (the watchdog's feed). */
    int alive;
    /** DELTAS: on by default. */
    boolean deltasOn = true;
    /** DELTA_FALLBACK=refuse: off (full) by default. */
    boolean refuseFullFallback;
    /** What assembles a release from a delta: the real assembler by default; tests cut the power around it. */
    Deltas.Assembler assembler = DeltaFixture.ASSEMBLER;
    /** The keys in the device's OTA_PUBLISHER_KEYS: none by default, as before signatures. */
    PublisherKeys pinned = PublisherKeys.none();

    DeviceFixture(Path dir) {
        installDir = dir.resolve("opt/javia");
        stateDir = dir.resolve("var/lib/javia-agent");
        workDir = dir.resolve("work");
        root = new InstallRoot(installDir);
        installRelease("v1.0.0");
        procDir = dir.resolve("proc");
        agentHome = new AgentHome(dir.resolve("opt/javia-agent"), dir.resolve("etc/systemd/system/"
                + AGENT_UNIT + ".d"));
        installAgentRelease(FIRST_AGENT);
        agentVersion = FIRST_AGENT;
        try {
            Files.createDirectories(procDir.resolve("sys/kernel/random"));
            Files.writeString(procDir.resolve("sys/kernel/random/boot_id"), "boot-1\n");
            Files.writeString(procDir.resolve("uptime"), "1234.56 4321.00\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        client = new ServerClient(java.net.URI.create(server.url()), Duration.ofSeconds(5));
        home = dir.resolve("home");
        session = newSession();
    }

    /** A release as an earlier install (or setup.sh) left it. */
    void installRelease(String version) {
        try {
            Path release = root.release(version);
            Files.createDirectories(release);
            Files.writeString(release.resolve("client.py"), "print('" + version + "')\n", StandardCharsets.UTF_8);
            Files.writeString(release.resolve("VERSION"), version + "\n", StandardCharsets.UTF_8);
            root.switchTo(version);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    DeviceSession newSession() {
        DeviceIdentity identity = DeviceIdentity.load(home.resolve(".javia_device_uuid"),
                home.resolve(".javia_device_token"));
        return new DeviceSession(client, identity, FakeServer.ENROLLMENT_KEY,
                () -> new RegisterDevice(identity.uuid(), "test-pi", "UTC", root.installedVersion().orElse(null),
                        Map.of()));
    }

    /** An agent release as the .deb (or an earlier self-update) left it, current. */
    void installAgentRelease(String version) {
        try {
            Path release = agentHome.release(version);
            Files.createDirectories(release);
            Files.writeString(release.resolve("pi-agent.jar"), "agent " + version + "\n", StandardCharsets.UTF_8);
            Files.writeString(release.resolve("VERSION"), version + "\n", StandardCharsets.UTF_8);
            agentHome.switchTo(version);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The agent starts as run-agent starts it: the jar {@code current} names, else the legacy jar, its version read
     * as the agent reads its own. A machine built after this stands for that agent.
     */
    String startAgent() {
        agentVersion = AgentVersion.of(agentHome.jarToStart());
        session = newSession();
        return agentVersion;
    }

    /**
     * Publishes, due now, a package of {@code version} that carries agent {@code agentVersion} (a jar whose manifest
     * says so) and, when {@code withApp}, the sample app of {@link #publish} without system packages; with a unit
     * drop-in when {@code dropIn}.
     */
    UpdateOffer publishAgent(String version, String agentVersion, boolean withApp, boolean dropIn) {
        return publishAgent(version, agentVersion, withApp,
                dropIn ? "[Service]\nEnvironment=AGENT_FLAVOUR=" + agentVersion + "\n" : null, null);
    }

    /**
     * As the other {@code publishAgent}, with the release's drop-in and jvm.options as given (null: none), built
     * without the packager's checks, as a hostile or broken publisher could.
     */
    UpdateOffer publishAgent(String version, String agentVersion, boolean withApp, String dropIn, String jvmOptions) {
        try {
            Path agentDir = Files.createDirectories(workDir.resolve("agent-" + agentVersion));
            Path jar = agentDir.resolve("pi-agent.jar");
            AgentHomeTests.jar(jar, agentVersion.substring(1));
            Path conf = dropIn == null ? null : Files.writeString(agentDir.resolve("javia-ota-agent.conf"), dropIn);
            Path options = jvmOptions == null ? null : Files.writeString(agentDir.resolve("jvm.options"), jvmOptions);
            Path source = null;
            Version v = Version.parse(version);
            if (withApp) {
                // the sample app of samplePackage, built again below with the agent
                PackageBuilder.samplePackage(workDir, v, UpdateType.URGENT, List.of());
                source = workDir.resolve("source-" + version);
            }
            Path zip = workDir.resolve("update_" + version + "_agent_" + agentVersion + ".zip");
            PackageBuilder.buildFile(source, v, UpdateType.URGENT, "update " + version + " with agent "
                    + agentVersion, List.of(), Instant.parse("2025-01-01T00:00:00Z"), null,
                    new PackageBuilder.AgentSource(Version.parse(agentVersion), jar, options, conf), zip);
            return server.offer(zip, version, UpdateType.URGENT, clock.instant().minusSeconds(60), List.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The offer on the server now, asking for {@code packages} (apt is told to fail on them: see the scenario). */
    UpdateOffer withSystemPackages(List<String> packages) {
        UpdateOffer offer = session.check().update();
        runner.answer(List.of("apt-get", "-o", "DPkg::Lock::Timeout=120", "install"),
                CommandResult.exit(100, "E: Unable to correct problems, you have held broken packages."));
        return new UpdateOffer(offer.id(), offer.version(), offer.updateType(), offer.description(),
                offer.packageUrl(), offer.sha256(), offer.sizeBytes(), true, packages, offer.rollback());
    }

    /**
     * What stands in for the guard (javia-agent-guard, a shell script tested on its own) in these tests: asked before
     * each start of the agent's unit, and after each tick of a running agent.
     */
    interface Guard {
        /** run-agent's {@code guard start}; may revert before the agent starts. */
        default void start(DeviceFixture device) {
        }

        /** The timer's {@code guard check}: true when it reverted and restarted the unit (this agent is stopped). */
        default boolean check(DeviceFixture device) {
            return false;
        }
    }

    /** A guard that never has to act: every new agent checks in in time. */
    static final Guard CONTENT_GUARD = new Guard() {
    };

    /** Starts of the agent's unit in {@link #runAgentToIdle}, the first one included. */
    int agentStarts;

    /**
     * Runs the agent as systemd runs it until an update has run to idle: each start runs the agent {@code current}
     * names (after {@code guard.start}); an agent that queued a restart of its own unit ends its run there, and the
     * next start begins. Bounded, as {@link #runToIdle}.
     */
    UpdateMachine runAgentToIdle(Guard guard) {
        for (int start = 0; start < 8; start++) {
            guard.start(this);
            startAgent();
            agentStarts++;
            UpdateMachine machine = machine();
            long restarts = agentRestarts();
            for (int i = 0; i < 20 && agentRestarts() == restarts; i++) {
                tick(machine);
                if (machine.idle()) {
                    return machine;
                }
                if (guard.check(this)) {
                    break;
                }
            }
        }
        throw new AssertionError("the agent did not settle; chain " + chain);
    }

    /** How often an agent queued a restart of its own unit. */
    long agentRestarts() {
        return runner.lines().stream().filter(line -> line.equals("systemctl --no-block restart " + AGENT_UNIT))
                .count();
    }

    /** The guard's revert, as the spec has it: current back (or gone for legacy), drop-in fixed, file reverted. */
    void guardReverts(String reason) {
        AgentTrialFile file = new AgentTrialFile(stateDir);
        AgentTrialFile.Trial trial = file.read().orElseThrow();
        agentHome.revertTo(trial.from());
        agentHome.linkDropIn();
        file.write(trial.reverted(reason));
    }

    /** The version the agent's {@code current} names, or {@code legacy} without one. */
    String agentCurrent() {
        return agentHome.currentRelease().orElse("legacy");
    }

    /** Publishes a sample package (with requirements.txt) as {@code version}, due now. */
    UpdateOffer publish(String version, UpdateType type, List<String> systemPackages) {
        return publish(version, type, systemPackages, false);
    }

    /** Publishes a sample package as {@code version}, due now, as the operator's rollback when {@code rollback}. */
    UpdateOffer publish(String version, UpdateType type, List<String> systemPackages, boolean rollback) {
        try {
            Path zip = PackageBuilder.samplePackage(workDir, Version.parse(version), type, systemPackages);
            return server.offer(zip, version, type, clock.instant().minusSeconds(60), systemPackages, rollback);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Publishes a sample package as {@code version}, due now, built with {@code keySet} in its metadata (null: none),
     * signed by {@code key} (null: unsigned), as a rollback when {@code rollback}, with {@code statement} (null:
     * none).
     */
    UpdateOffer publishSigned(String version, PrivateKey key, PublisherKeySet keySet, boolean rollback,
            RollbackStatement.Signed statement) {
        try {
            Version v = Version.parse(version);
            Path zip = PackageBuilder.samplePackage(workDir, v, UpdateType.URGENT, List.of());
            if (keySet != null) {
                PackageBuilder.buildFile(workDir.resolve("source-" + version), v, UpdateType.URGENT,
                        "sample update " + version, List.of(), Instant.parse("2025-01-01T00:00:00Z"), keySet, zip);
            }
            return serve(zip, version, key == null ? null : PackageSignatures.sign(zip, key, PackageLimits.defaults()),
                    rollback, statement);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serves {@code zip} as {@code version}, due now, with the signature and statement given (each may be null). */
    UpdateOffer serve(Path zip, String version, PublisherSignature signature, boolean rollback,
            RollbackStatement.Signed statement) {
        Instant due = clock.instant().minusSeconds(60);
        UpdateOffer plain = server.offer(zip, version, UpdateType.URGENT, due, List.of(), rollback);
        UpdateOffer offer = new UpdateOffer(plain.id(), plain.version(), plain.updateType(), plain.description(),
                plain.packageUrl(), plain.sha256(), plain.sizeBytes(), plain.requiresSystemPackages(),
                plain.systemPackages(), rollback, signature, statement);
        server.offer(offer, due);
        return offer;
    }

    /** Synchronized, as on a Pi whose NTP has answered; tests of the stale boot clock replace it. */
    ClockTrust clockTrust = new ClockTrust(command -> CommandResult.ok("yes\n"), clock, clock::nanoTime,
            Duration.ofMinutes(5));

    UpdateContext context() {
        Apt apt = new Apt(runner, Duration.ofMinutes(30), 120, 3, clock.sleeper(), false);
        return new UpdateContext(session, StatusOutbox.open(stateDir, client.json()), root,
                stateDir.resolve("staging"), apt, new PythonEnvironment(runner, Duration.ofMinutes(15)),
                new Systemctl(runner, Duration.ofSeconds(60)), SERVICE, healthCheck, clock, clock::nanoTime,
                clock.sleeper(),
                PackageLimits.defaults(), new InstallPolicy(ZoneOffset.UTC, 2, Duration.ofMinutes(5),
                Duration.ofHours(1)), () -> idle, clockTrust, () -> alive++,
                PublisherTrust.open(stateDir, pinned, client.json()), UsedStatements.open(stateDir, client.json()),
                appHealth, path -> {
                    spaceAsked.add(path);
                    return usableAt.applyAsLong(path);
                }, diskMargin,
                new AgentSelf(agentHome, new AgentTrialFile(stateDir), agentVersion, AGENT_UNIT,
                        Duration.ofSeconds(300), procDir),
                new Deltas(deltasOn, refuseFullFallback, assembler));
    }

    /** A new machine on this device's disk, as the agent builds it at start. */
    UpdateMachine machine() {
        return UpdateMachine.resume(new StateFile(stateDir, client.json()), context(), maxTransitions, name -> {
            chain.add(name);
            afterSave.accept(name);
        });
    }

    /** One tick's worth: ask the server, then run as far as the machine can. Server trouble ends the tick. */
    UpdateState tick(UpdateMachine machine) {
        try {
            if (!machine.busy()) {
                machine.offer(session.check(), clock.instant());
            }
            return machine.advance();
        } catch (ServerUnavailableException e) {
            return machine.current();
        }
    }

    /** Ticks until the machine is idle again (bounded: a machine that never settles fails the test). */
    UpdateMachine runToIdle(UpdateMachine machine) {
        for (int i = 0; i < 20; i++) {
            tick(machine);
            if (machine.idle()) {
                return machine;
            }
        }
        throw new AssertionError("machine did not settle; stuck in " + machine.current() + " after " + chain);
    }

    String currentTarget() {
        try {
            return Files.readSymbolicLink(root.current()).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String versionFile() {
        try {
            return Files.readString(installDir.resolve("VERSION")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<String> commandLines() {
        return runner.lines().stream().map(line -> line.replace(installDir.toString(), "$INSTALL")).toList();
    }

    @Override
    public void close() {
        server.close();
    }
}
