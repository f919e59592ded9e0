package dev.javia.ota.agent;

import com.pi4j.Pi4J;
import com.pi4j.context.Context;
import com.pi4j.plugin.gpiod.provider.gpio.digital.GpioDDigitalInputProvider;
import dev.javia.ota.agent.activity.ActivitySocket;
import dev.javia.ota.agent.activity.ActivityTracker;
import dev.javia.ota.agent.activity.AlsaActivity;
import dev.javia.ota.agent.activity.GpioButton;
import dev.javia.ota.agent.config.AgentConfig;
import dev.javia.ota.agent.config.ConfigException;
import dev.javia.ota.agent.identity.DeviceFacts;
import dev.javia.ota.agent.identity.DeviceIdentity;
import dev.javia.ota.agent.system.AppHealth;
import dev.javia.ota.agent.system.Apt;
import dev.javia.ota.agent.system.CommandRunner;
import dev.javia.ota.agent.system.DpkgStatus;
import dev.javia.ota.agent.system.FreeSpace;
import dev.javia.ota.agent.system.HealthCommand;
import dev.javia.ota.agent.system.ProcessCommandRunner;
import dev.javia.ota.agent.system.PythonEnvironment;
import dev.javia.ota.agent.system.Sleeper;
import dev.javia.ota.agent.system.SystemdNotifier;
import dev.javia.ota.agent.system.Systemctl;
import dev.javia.ota.agent.system.Watchdog;
import dev.javia.ota.agent.transport.Backoff;
import dev.javia.ota.agent.transport.DeviceSession;
import dev.javia.ota.agent.transport.DownloadPace;
import dev.javia.ota.agent.transport.LocalHealthEndpoint;
import dev.javia.ota.agent.transport.ServerClient;
import dev.javia.ota.agent.update.AgentHome;
import dev.javia.ota.agent.update.AgentSelf;
import dev.javia.ota.agent.update.AgentTrialFile;
import dev.javia.ota.agent.update.AgentVersion;
import dev.javia.ota.agent.update.ClockTrust;
import dev.javia.ota.agent.update.Deltas;
import dev.javia.ota.agent.update.InstallPolicy;
import dev.javia.ota.agent.update.InstallRoot;
import dev.javia.ota.agent.update.PublisherTrust;
import dev.javia.ota.agent.update.StateFile;
import dev.javia.ota.agent.update.StatusOutbox;
import dev.javia.ota.agent.update.UpdateContext;
import dev.javia.ota.agent.update.UpdateMachine;
import dev.javia.ota.agent.update.UsedStatements;
import dev.javia.ota.protocol.api.AgentSettings;
import dev.javia.ota.protocol.api.RegisterDevice;
import dev.javia.ota.protocol.delta.DeltaAssembler;
import dev.javia.ota.protocol.pkg.PackageLimits;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The composition root: reads the configuration and builds every object by hand. No framework, no statics. */
public final class Main {

    private static final Logger LOG = Logger.getLogger(Main.class.getName());
    /** The longest wait of the loop without a word to the watchdog: well inside the unit's WatchdogSec (180 s). */
    private static final Duration WATCHDOG_SLICE = Duration.ofSeconds(30);

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        LogFormat.install(Level.INFO, env.containsKey("JOURNAL_STREAM"));
        AgentConfig config;
        try {
            config = AgentConfig.load(env, Path.of(System.getProperty("user.home")));
        } catch (ConfigException e) {
            LOG.severe(e.getMessage());
            System.exit(2);
            return;
        }
        LogFormat.install(config.logLevel(), env.containsKey("JOURNAL_STREAM"));
        // systemd-notify itself runs through a runner that feeds nothing; every other command is fed while the loop
        // waits on it, and only then (Watchdog)
        Watchdog watchdog = new Watchdog(new SystemdNotifier(new ProcessCommandRunner(), env));
        CommandRunner runner = new ProcessCommandRunner(watchdog::feed);
        Agent agent;
        try {
            agent = assemble(config, runner, watchdog, Clock.systemUTC(), System::nanoTime, Sleeper.REAL,
                    () -> Pi4J.newContextBuilder().add(GpioDDigitalInputProvider.newInstance()).build());
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "cannot start: " + e.getMessage(), e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "agent-shutdown"));
        if (!agent.run(config.tick())) {
            System.exit(1);
        }
    }

    /**
     * Builds the agent for {@code config}. The command runner, the clocks, the sleeper and the GPIO context are
     * given so that the end-to-end test runs this very wiring with fakes at the edges.
     *
     * @param nanoTime the monotonic clock that idle time and the agent's intervals are measured on
     *                 ({@code System::nanoTime})
     */
    static Agent assemble(AgentConfig config, CommandRunner runner, SystemdNotifier notifier, Clock clock,
            LongSupplier nanoTime, Sleeper sleeper, Supplier<Context> gpio) {
        return assemble(config, runner, notifier, clock, nanoTime, sleeper, gpio, config.tick());
    }

    /**
     * @param pulse how often, in real time, the heartbeat thread of a running step looks whether a heartbeat is due
     *              (the tick; tests that move a fake clock through a long step pass a few milliseconds)
     */
    static Agent assemble(AgentConfig config, CommandRunner runner, SystemdNotifier notifier, Clock clock,
            LongSupplier nanoTime, Sleeper sleeper, Supplier<Context> gpio, Duration pulse) {
        return assemble(config, runner, new Watchdog(notifier), clock, nanoTime, sleeper, gpio, pulse);
    }

    /** @param agentVersion this agent's own version ({@link AgentVersion#running}; tests name one) */
    static Agent assemble(AgentConfig config, CommandRunner runner, SystemdNotifier notifier, Clock clock,
            LongSupplier nanoTime, Sleeper sleeper, Supplier<Context> gpio, Duration pulse, String agentVersion) {
        return assemble(config, runner, new Watchdog(notifier), clock, nanoTime, sleeper, gpio, pulse, agentVersion);
    }

    static Agent assemble(AgentConfig config, CommandRunner runner, Watchdog watchdog, Clock clock,
            LongSupplier nanoTime, Sleeper sleeper, Supplier<Context> gpio) {
        return assemble(config, runner, watchdog, clock, nanoTime, sleeper, gpio, config.tick());
    }

    /**
     * @param watchdog fed by the loop only; {@code runner} should feed it while it waits ({@code watchdog::feed})
     */
    static Agent assemble(AgentConfig config, CommandRunner runner, Watchdog watchdog, Clock clock,
            LongSupplier nanoTime, Sleeper loopSleeper, Supplier<Context> gpio, Duration pulse) {
        // read once, before anything can move current (see AgentVersion)
        return assemble(config, runner, watchdog, clock, nanoTime, loopSleeper, gpio, pulse, AgentVersion.running());
    }

    static Agent assemble(AgentConfig config, CommandRunner runner, Watchdog watchdog, Clock clock,
            LongSupplier nanoTime, Sleeper loopSleeper, Supplier<Context> gpio, Duration pulse, String agentVersion) {
        // every wait of the loop (the dpkg lock's, the health check's, the download's cap) is the loop alive
        Sleeper sleeper = watchdog.feeding(loopSleeper, WATCHDOG_SLICE);
        LOG.info("starting agent " + agentVersion + ": " + config.summary());
        createDirectories(config.stateDir(), config.installDir());
        List<AutoCloseable> resources = new ArrayList<>();

        DeviceIdentity identity = DeviceIdentity.load(config.uuidFile(), config.tokenFile());
        InstallRoot root = new InstallRoot(config.installDir());
        ClockTrust clockTrust = new ClockTrust(runner, clock, nanoTime, config.clockSkew());
        ServerClient client = new ServerClient(config.serverUrl(), config.httpTimeout(), clockTrust::serverDate,
                config.serverCaFile());
        if (config.downloadMaxBytesPerSecond() > 0) {
            client.pace(new DownloadPace(config.downloadMaxBytesPerSecond(), sleeper, nanoTime));
            LOG.info("downloads capped at " + config.downloadMaxBytesPerSecond() / 1024 + " KiB/s (DOWNLOAD_MAX_KBPS)");
        }
        Map<String, Object> facts = DeviceFacts.collect(Path.of("/"));
        String deviceName = config.deviceName() != null ? config.deviceName()
                : DeviceFacts.hostname().orElse(null);
        Supplier<RegisterDevice> registration = () -> new RegisterDevice(identity.uuid(), deviceName,
                config.timezone().getId(), root.installedVersion().orElse(null), facts);
        DeviceSession session = new DeviceSession(client, identity, config.enrollmentKey(), registration);
        LOG.info("device " + identity.uuid() + ", device key " + identity.key().keyId()
                + (config.serverCaFile() != null ? ", server CA pinned from " + config.serverCaFile() : ""));

        ActivityTracker tracker = new ActivityTracker(nanoTime, config.sessionTimeout());
        if (config.gpioButtonPin().isPresent()) {
            openButton(config, tracker, gpio).ifPresent(resources::add);
        } else {
            LOG.info("GPIO_BUTTON_PIN is empty: no button is watched");
        }
        AlsaActivity alsa = config.alsaPlayback() || config.alsaCapture()
                ? new AlsaActivity(config.alsaDir(), config.alsaPlayback(), config.alsaCapture(), tracker) : null;
        resources.add(ActivitySocket.open(config.activitySocket(), tracker));

        StatusOutbox outbox = StatusOutbox.open(config.stateDir(), client.json());
        Apt apt = new Apt(runner, config.aptTimeout(), config.dpkgLockTimeoutSeconds(), 3, sleeper,
                config.aptViaSystemdRun(), new DpkgStatus(Path.of("/var/lib/dpkg")));
        UpdateContext context = new UpdateContext(session, outbox, root, config.stateDir().resolve("staging"), apt,
                new PythonEnvironment(runner, config.pipTimeout(), config.aptViaSystemdRun()),
                new Systemctl(runner, config.commandTimeout()),
                config.serviceName(), config.healthCheck(), clock, nanoTime, sleeper,
                PackageLimits.defaults().withMaxPackageBytes(config.maxPackageBytes()),
                new InstallPolicy(config.timezone(), config.fallbackInstallHour(), config.scheduledIdle(), config.urgentIdle()),
                tracker::idleFor, clockTrust, watchdog::feed,
                PublisherTrust.open(config.stateDir(), config.publisherKeys(), client.json()),
                UsedStatements.open(config.stateDir(), client.json()),
                appHealth(config, runner), FreeSpace.REAL, config.diskMarginBytes(),
                new AgentSelf(new AgentHome(config.agentHome(), config.agentUnitDropinDir()),
                        new AgentTrialFile(config.stateDir()), agentVersion, config.agentUnit(),
                        config.agentCheckIn(), config.procDir()),
                new Deltas(config.deltas(), config.refuseFullFallback(), DeltaAssembler::assemble));
        LOG.info("publisher keys: " + (context.trust().keys().isEmpty()
                ? "none pinned (OTA_PUBLISHER_KEYS is empty): packages are not verified"
                : context.trust().keys().describe() + " (serial " + context.trust().serial() + ")"));
        PushWaits push = config.push() ? new PushWaits(session) : null;
        UpdateMachine machine = UpdateMachine.resume(new StateFile(config.stateDir(), client.json()), context,
                config.maxStateTransitions(), push == null ? name -> {
                } : name -> push.installStarts());
        LOG.info("installed version " + root.installedVersion().orElse("(none)") + ", update state "
                + machine.current().name());
        Backoff backoff = new Backoff(Duration.ofSeconds(5), Duration.ofMinutes(10), new Random());
        AgentSettings settings = new AgentSettings(config.deviceUpdateHour().isPresent()
                ? config.deviceUpdateHour().getAsInt() : null);
        return new Agent(session, machine, outbox, root, alsa, watchdog, clock, nanoTime, backoff,
                config.heartbeatInterval(), config.checkInterval(), pulse, settings, push, resources, agentVersion);
    }

    /** The app's own health check: its command, its loopback endpoint, both, or none. */
    private static AppHealth appHealth(AgentConfig config, CommandRunner runner) {
        AppHealth command = config.appHealthCommand().isEmpty() ? AppHealth.NONE
                : new HealthCommand(runner, config.appHealthCommand(), config.appHealthTimeout());
        AppHealth endpoint = config.appHealthUrl() == null ? AppHealth.NONE
                : new LocalHealthEndpoint(config.appHealthUrl(), config.appHealthTimeout());
        AppHealth health = AppHealth.both(command, endpoint);
        LOG.info("app health: " + (health.configured() ? (command.configured() ? "APP_HEALTH_COMMAND "
                + String.join(" ", config.appHealthCommand()) : "") + (command.configured() && endpoint.configured()
                ? " and " : "") + (endpoint.configured() ? "APP_HEALTH_URL " + config.appHealthUrl() : "")
                : "none set (systemd's is-active is the health check)"));
        return health;
    }

    private static Optional<GpioButton> openButton(AgentConfig config, ActivityTracker tracker,
            Supplier<Context> gpio) {
        Context context;
        try {
            context = gpio.get();
        } catch (RuntimeException | LinkageError e) {
            LOG.warning("no GPIO on this machine (" + e.getMessage() + "): running without the button on BCM pin "
                    + config.gpioButtonPin().getAsInt() + "; audio and app sessions still count as activity");
            return Optional.empty();
        }
        return GpioButton.open(context, config.gpioButtonPin().getAsInt(), config.gpioDebounce(), tracker);
    }

    private static void createDirectories(Path... dirs) {
        for (Path dir : dirs) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + dir + " (" + e.getMessage()
                        + "): check the path and the agent's permissions", e);
            }
        }
    }
}
