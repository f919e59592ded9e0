package dev.javia.ota.agent.config;

import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.regex.Pattern;
import dev.javia.ota.protocol.trust.PublisherKeys;

/**
 * Every setting of the agent, checked. The names are the seed's ({@code SERVER_URL}, {@code API_KEY},
 * {@code DEVICE_TIMEZONE}) and the agent's own; README.md lists them with their defaults. The process environment
 * wins over the {@code .env} file, so that a systemd drop-in can override one value.
 *
 * @param enrollmentKey    the seed's {@code API_KEY}: opens registration only; the device token does the rest
 * @param deviceUpdateHour {@code DEVICE_UPDATE_HOUR}: the local hour this device's nightly install window opens, told
 *                         to the server (which applies it unless an operator set the device's window); empty leaves
 *                         the window to the server
 * @param publisherKeys    {@code OTA_PUBLISHER_KEYS}: the publisher keys pinned here ({@code ed25519:BASE64}, comma
 *                         separated); once there is one, only packages signed by a trusted key are installed
 * @param serverCaFile     {@code SERVER_CA_FILE}: a PEM file of the CA (or CAs) the server's TLS certificate must
 *                         chain to, instead of the system's; null for the system's trust store
 * @param push             {@code OTA_PUSH}: while no install runs, hold the server's long poll and check at once
 *                         when it says something changed; the polls go on either way (on by default)
 * @param appHealthCommand {@code APP_HEALTH_COMMAND}: argv (split on spaces, never through a shell) of the app's own
 *                         health command, run in the new release's directory after the restart; exit 0 is well, and
 *                         the last line it prints is the app's word; empty for none
 * @param appHealthUrl     {@code APP_HEALTH_URL}: a loopback {@code http://} URL the app answers 2xx on when it is
 *                         well; null for none
 * @param appHealthTimeout {@code APP_HEALTH_TIMEOUT_SECONDS}: how long one ask of the command or the URL may take
 * @param diskMarginBytes  {@code DISK_MARGIN_MB}: the space that must stay free beyond a download or an extraction
 * @param downloadMaxBytesPerSecond {@code DOWNLOAD_MAX_KBPS} in bytes a second: the download's cap, 0 for none
 * @param agentHome        {@code AGENT_HOME}: the agent's own releases ({@code releases/<v>}, {@code current},
 *                         {@code previous}) and the legacy {@code pi-agent.jar}, as run-agent and the guard read them
 * @param agentUnit        {@code AGENT_UNIT}: the agent's own systemd unit, restarted after it switched itself
 * @param agentUnitDropinDir {@code AGENT_UNIT_DROPIN_DIR}: the unit's drop-in directory, where the release's drop-in
 *                         is linked as {@code 50-release.conf}
 * @param agentCheckIn     {@code AGENT_CHECK_IN_SECONDS}: how long a new agent has to get an answer from the server
 *                         before the guard puts the previous one back (written into the trial file)
 * @param procDir          {@code JAVIA_PROC}: where {@code uptime} and {@code sys/kernel/random/boot_id} are read, so
 *                         that the trial's clock is the guard's
 * @param deltas           {@code DELTAS}: whether an offer's delta is used when it fits the installed release
 *                         ({@code on}, the default) or never ({@code off}: always the full package)
 * @param refuseFullFallback {@code DELTA_FALLBACK=refuse}: an offer whose delta cannot be used (it does not fit the
 *                         installed release, or fails during its download or assembly) fails the update rather than
 *                         download the full package, for metered links; {@code full} (the default) downloads it
 */
public record AgentConfig(
        URI serverUrl,
        String enrollmentKey,
        ZoneId timezone,
        String deviceName,
        Path installDir,
        Path stateDir,
        Path uuidFile,
        Path tokenFile,
        String serviceName,
        Duration heartbeatInterval,
        Duration checkInterval,
        Duration tick,
        Duration urgentIdle,
        Duration scheduledIdle,
        int installHour,
        OptionalInt deviceUpdateHour,
        OptionalInt gpioButtonPin,
        Duration gpioDebounce,
        Path alsaDir,
        boolean alsaPlayback,
        boolean alsaCapture,
        Path activitySocket,
        Duration sessionTimeout,
        Duration healthCheck,
        Duration aptTimeout,
        Duration pipTimeout,
        Duration commandTimeout,
        int dpkgLockTimeoutSeconds,
        boolean aptViaSystemdRun,
        int maxStateTransitions,
        Duration httpTimeout,
        Duration clockSkew,
        long maxPackageBytes,
        Level logLevel,
        PublisherKeys publisherKeys,
        Path serverCaFile,
        boolean push,
        // a Pi's realities (issue 16): the app's own health, disk space, the link's bandwidth
        List<String> appHealthCommand,
        URI appHealthUrl,
        Duration appHealthTimeout,
        long diskMarginBytes,
        long downloadMaxBytesPerSecond,
        // agent self-update (issue 16)
        Path agentHome,
        String agentUnit,
        Path agentUnitDropinDir,
        Duration agentCheckIn,
        Path procDir,
        // delta updates (issue 18)
        boolean deltas,
        boolean refuseFullFallback) {

    public static final String ENV_FILE = "ENV_FILE";
    private static final Pattern UNIT = Pattern.compile("[A-Za-z0-9:_.@\\\\-]+");

    /**
     * Reads the settings from the process environment and the {@code .env} file it names ({@code ENV_FILE},
     * default {@code .env} in the working directory).
     */
    public static AgentConfig load(Map<String, String> environment, Path home) {
        Path envFile = Path.of(environment.getOrDefault(ENV_FILE, ".env"));
        Map<String, String> merged = new HashMap<>(DotEnv.read(envFile));
        merged.putAll(environment);
        return from(merged, home);
    }

    /** Checks {@code values}; throws {@link ConfigException} naming every setting that is wrong. */
    public static AgentConfig from(Map<String, String> values, Path home) {
        Settings s = new Settings(values);
        URI serverUrl = s.required("SERVER_URL", AgentConfig::httpUrl);
        String key = s.required("API_KEY", text -> text);
        ZoneId zone = s.optional("DEVICE_TIMEZONE", ZoneId::of, ZoneId.systemDefault());
        String name = s.optional("DEVICE_NAME", text -> text, null);
        Path installDir = s.optional("INSTALL_DIR", AgentConfig::path, Path.of("/opt/javia"));
        Path stateDir = s.optional("STATE_DIR", AgentConfig::path, Path.of("/var/lib/javia-agent"));
        Path uuidFile = s.optional("DEVICE_UUID_FILE", AgentConfig::path, home.resolve(".javia_device_uuid"));
        Path tokenFile = s.optional("DEVICE_TOKEN_FILE", AgentConfig::path,
                uuidFile.toAbsolutePath().getParent().resolve(".javia_device_token"));
        String service = s.optional("SERVICE_NAME", AgentConfig::unitName, "voice-assistant-client");
        Duration heartbeat = s.optional("HEARTBEAT_INTERVAL_SECONDS", seconds(5, 86_400), Duration.ofMinutes(5));
        Duration check = s.optional("CHECK_INTERVAL_SECONDS", seconds(5, 86_400), Duration.ofMinutes(5));
        Duration tick = s.optional("TICK_SECONDS", seconds(1, 3_600), Duration.ofSeconds(15));
        Duration urgentIdle = s.optional("URGENT_IDLE_MINUTES", minutes(0, 10_080), Duration.ofHours(1));
        Duration scheduledIdle = s.optional("SCHEDULED_IDLE_MINUTES", minutes(0, 1_440), Duration.ofMinutes(5));
        int installHour = s.optional("INSTALL_HOUR", integer(0, 23), 2);
        OptionalInt updateHour = s.optional("DEVICE_UPDATE_HOUR", AgentConfig::updateHour, OptionalInt.empty());
        OptionalInt pin = s.optional("GPIO_BUTTON_PIN", text -> OptionalInt.of(integer(0, 53).apply(text)),
                OptionalInt.empty());
        Duration debounce = s.optional("GPIO_DEBOUNCE_MS", text -> Duration.ofMillis(integer(0, 10_000).apply(text)),
                Duration.ofMillis(30));
        Path alsaDir = s.optional("ALSA_DIR", AgentConfig::path, Path.of("/proc/asound"));
        List<String> streams = s.optional("ALSA_STREAMS", AgentConfig::alsaStreams, List.of("playback", "capture"));
        Path socket = s.optional("ACTIVITY_SOCKET", AgentConfig::path, stateDir.resolve("activity.sock"));
        Duration sessionTimeout = s.optional("SESSION_TIMEOUT_MINUTES", minutes(1, 1_440), Duration.ofMinutes(30));
        Duration healthCheck = s.optional("HEALTH_CHECK_SECONDS", seconds(0, 3_600), Duration.ofSeconds(30));
        Duration aptTimeout = s.optional("APT_TIMEOUT_SECONDS", seconds(10, 86_400), Duration.ofMinutes(30));
        Duration pipTimeout = s.optional("PIP_TIMEOUT_SECONDS", seconds(10, 86_400), Duration.ofMinutes(15));
        Duration commandTimeout = s.optional("COMMAND_TIMEOUT_SECONDS", seconds(1, 3_600), Duration.ofSeconds(60));
        int lockTimeout = s.optional("DPKG_LOCK_TIMEOUT_SECONDS", integer(0, 3_600), 120);
        boolean viaSystemdRun = s.optional("APT_VIA_SYSTEMD_RUN", AgentConfig::bool, false);
        int maxTransitions = s.optional("MAX_STATE_TRANSITIONS", integer(10, 10_000), 50);
        Duration httpTimeout = s.optional("HTTP_TIMEOUT_SECONDS", seconds(1, 600), Duration.ofSeconds(30));
        Duration clockSkew = s.optional("CLOCK_SKEW_SECONDS", seconds(1, 86_400), Duration.ofMinutes(5));
        long maxPackage = s.optional("MAX_PACKAGE_MB", text -> integer(1, 65_536).apply(text) * 1024L * 1024L,
                512L * 1024 * 1024);
        Level level = s.optional("LOG_LEVEL", AgentConfig::level, Level.INFO);
        PublisherKeys publisherKeys = s.optional("OTA_PUBLISHER_KEYS",
                AgentConfig::publisherKeys, PublisherKeys.none());
        Path serverCa = s.optional("SERVER_CA_FILE", AgentConfig::path, null);
        boolean push = s.optional("OTA_PUSH", AgentConfig::bool, true);
        // a Pi's realities (issue 16): the app's own health, disk space, the link's bandwidth
        List<String> appHealthCommand = s.optional("APP_HEALTH_COMMAND", AgentConfig::words, List.of());
        URI appHealthUrl = s.optional("APP_HEALTH_URL", AgentConfig::loopbackUrl, null);
        Duration appHealthTimeout = s.optional("APP_HEALTH_TIMEOUT_SECONDS", seconds(1, 600), Duration.ofSeconds(10));
        // MB of 10^6 bytes, as the disk-space messages (and df -H) count them
        long diskMargin = s.optional("DISK_MARGIN_MB", text -> integer(0, 65_536).apply(text) * 1_000_000L,
                50_000_000L);
        long downloadMax = s.optional("DOWNLOAD_MAX_KBPS", text -> integer(0, 1_000_000).apply(text) * 1024L, 0L);
        // agent self-update (issue 16)
        Path agentHome = s.optional("AGENT_HOME", AgentConfig::path, Path.of("/opt/javia-agent"));
        String agentUnit = s.optional("AGENT_UNIT", AgentConfig::unitName, "javia-ota-agent.service");
        Path agentDropins = s.optional("AGENT_UNIT_DROPIN_DIR", AgentConfig::path,
                Path.of("/etc/systemd/system/javia-ota-agent.service.d"));
        Duration agentCheckIn = s.optional("AGENT_CHECK_IN_SECONDS", seconds(30, 86_400), Duration.ofSeconds(300));
        Path procDir = s.optional("JAVIA_PROC", AgentConfig::path, Path.of("/proc"));
        // delta updates (issue 18)
        boolean deltas = s.optional("DELTAS", AgentConfig::onOff, true);
        boolean refuseFullFallback = s.optional("DELTA_FALLBACK", AgentConfig::deltaFallback, false);
        s.throwIfInvalid();
        return new AgentConfig(serverUrl, key, zone, name, installDir, stateDir, uuidFile, tokenFile, service,
                heartbeat, check, tick, urgentIdle, scheduledIdle, installHour, updateHour, pin, debounce, alsaDir,
                streams.contains("playback"), streams.contains("capture"), socket, sessionTimeout, healthCheck,
                aptTimeout, pipTimeout, commandTimeout, lockTimeout, viaSystemdRun, maxTransitions, httpTimeout,
                clockSkew, maxPackage, level, publisherKeys, serverCa, push,
                appHealthCommand, appHealthUrl, appHealthTimeout, diskMargin, downloadMax,
                agentHome, agentUnit, agentDropins, agentCheckIn, procDir,
                deltas, refuseFullFallback);
    }

    /** The settings an operator checks first, for the start-up log line; never the key. */
    public String summary() {
        return "server=" + serverUrl + " timezone=" + timezone + " install_dir=" + installDir + " state_dir=" + stateDir
                + " service=" + serviceName + " gpio_button_pin=" + (gpioButtonPin.isPresent()
                ? gpioButtonPin.getAsInt() : "none") + " device_update_hour=" + (deviceUpdateHour.isPresent()
                ? deviceUpdateHour.getAsInt() : "none");
    }

    private static URI httpUrl(String text) {
        URI uri = URI.create(text.strip());
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException("must be an http:// or https:// URL with a host, e.g. http://server:8000");
        }
        return uri;
    }

    private static List<String> words(String text) {
        return List.of(text.strip().split("\\s+"));
    }

    /**
     * The app's health endpoint: plain HTTP on the loopback interface only. The agent runs as root and acts on the
     * answer (a rollback), so it asks nothing beyond this machine, and nothing that a redirect or DNS could move
     * elsewhere: the host is a loopback address or {@code localhost}, written out.
     */
    private static URI loopbackUrl(String text) {
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        boolean loopback = host.equals("localhost") || host.equals("[::1]") || host.equals("::1")
                || host.matches("127(\\.\\d{1,3}){3}");
        if (!scheme.equals("http") || !loopback || uri.getUserInfo() != null) {
            throw new IllegalArgumentException("must be an http:// URL on this machine's loopback interface "
                    + "(127.0.0.1, [::1] or localhost), e.g. http://127.0.0.1:8080/health: the agent asks no other host "
                    + "whether the app is well");
        }
        return uri;
    }

    private static Path path(String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("is not a path: " + e.getMessage());
        }
    }

    private static PublisherKeys publisherKeys(String text) {
        return PublisherKeys.parse(List.of(text.split(",")));
    }

    private static String unitName(String text) {
        if (!UNIT.matcher(text).matches() || text.startsWith("-")) {
            throw new IllegalArgumentException("must be a systemd unit name such as voice-assistant-client");
        }
        return text;
    }

    /**
     * The local hour a scheduled update installs at when the server sends no {@code scheduled_for} (a server from
     * before it): the device's own {@code DEVICE_UPDATE_HOUR} when it has one, else {@code INSTALL_HOUR}, so that
     * the two settings never disagree about one device's night.
     */
    public int fallbackInstallHour() {
        return deviceUpdateHour.orElse(installHour);
    }

    private static OptionalInt updateHour(String text) {
        try {
            return OptionalInt.of(integer(0, 23).apply(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("must be the local hour the nightly install window opens, a whole "
                    + "number from 0 to 23 (3 for 03:00), or empty to leave the window to the server");
        }
    }

    private static List<String> alsaStreams(String text) {
        List<String> streams = new ArrayList<>();
        for (String item : text.split(",")) {
            String stream = item.strip().toLowerCase(Locale.ROOT);
            if (stream.isEmpty() || stream.equals("none")) {
                continue;
            }
            if (!stream.equals("playback") && !stream.equals("capture")) {
                throw new IllegalArgumentException("must list playback and/or capture (or none), not '" + item + "'");
            }
            streams.add(stream);
        }
        return streams;
    }

    private static boolean bool(String text) {
        switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "1": case "on":
                return true;
            case "false": case "no": case "0": case "off":
                return false;
            default:
                throw new IllegalArgumentException("must be true or false");
        }
    }

    private static boolean onOff(String text) {
        try {
            return bool(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("must be on or off");
        }
    }

    /** {@code refuse}: true; {@code full}: false. */
    private static boolean deltaFallback(String text) {
        switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "full":
                return false;
            case "refuse":
                return true;
            default:
                throw new IllegalArgumentException("must be full (download the whole package when the delta cannot "
                        + "be used) or refuse (fail the update instead, for metered links)");
        }
    }

    private static Level level(String text) {
        try {
            return Level.parse(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("must be SEVERE, WARNING, INFO, FINE or ALL");
        }
    }

    private static Function<String, Integer> integer(int min, int max) {
        return text -> {
            int value;
            try {
                value = Integer.parseInt(text.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be a whole number from " + min + " to " + max);
            }
            if (value < min || value > max) {
                throw new IllegalArgumentException("must be from " + min + " to " + max);
            }
            return value;
        };
    }

    private static Function<String, Duration> seconds(int min, int max) {
        return text -> Duration.ofSeconds(integer(min, max).apply(text));
    }

    private static Function<String, Duration> minutes(int min, int max) {
        return text -> Duration.ofMinutes(integer(min, max).apply(text));
    }

    /** Reads values one by one and remembers every problem, so that one start names them all. */
    private static final class Settings {
        private final Map<String, String> values;
        private final List<String> problems = new ArrayList<>();

        Settings(Map<String, String> values) {
            this.values = values;
        }

        <T> T required(String name, Function<String, T> parse) {
            String text = values.get(name);
            if (text == null || text.isBlank()) {
                problems.add(name + " is required but not set (environment or .env)");
                return null;
            }
            return parse(name, text, parse, null);
        }

        <T> T optional(String name, Function<String, T> parse, T fallback) {
            String text = values.get(name);
            if (text == null || text.isBlank()) {
                return fallback;
            }
            return parse(name, text, parse, fallback);
        }

        private <T> T parse(String name, String text, Function<String, T> parse, T fallback) {
            try {
                return parse.apply(text.strip());
            } catch (IllegalArgumentException | DateTimeException e) {
                String why = e instanceof DateTimeException
                        ? "must be a time zone such as America/Los_Angeles or UTC"
                        : e.getMessage();
                problems.add(name + "='" + text + "' " + why);
                return fallback;
            }
        }

        void throwIfInvalid() {
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
        }
    }
}
