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

    final Path installDir;
    final Path stateDir;
    final Path workDir;
    final FakeServer server = new FakeServer();
    final RecordingCommandRunner runner = new RecordingCommandRunner();
    final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    final InstallRoot root;
    final List<String> chain = new ArrayList<>();
    final DeviceSession session;
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
    /** The keys in the device's OTA_PUBLISHER_KEYS: none by default, as before signatures. */
    PublisherKeys pinned = PublisherKeys.none();

    DeviceFixture(Path dir) {
        installDir = dir.resolve("opt/javia");
        stateDir = dir.resolve("var/lib/javia-agent");
        workDir = dir.resolve("work");
        root = new InstallRoot(installDir);
        installRelease("v1.0.0");
        client = new ServerClient(java.net.URI.create(server.url()), Duration.ofSeconds(5));
        DeviceIdentity identity = DeviceIdentity.load(dir.resolve("home/.javia_device_uuid"),
                dir.resolve("home/.javia_device_token"));
        session = new DeviceSession(client, identity, FakeServer.ENROLLMENT_KEY,
                () -> new RegisterDevice(identity.uuid(), "test-pi", "UTC", root.installedVersion().orElse(null),
                        Map.of()));
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
                }, diskMargin);
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
