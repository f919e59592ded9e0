package dev.javia.ota.agent.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentConfigTests {

    private static final Path HOME = Path.of("/home/pi");

    @Test
    void readsTheSeedsNamesWithTheDefaultsOfTheIssue() {
        AgentConfig config = AgentConfig.from(Map.of("SERVER_URL", "http://ota.local:8000", "API_KEY", "k",
                "DEVICE_TIMEZONE", "America/Los_Angeles"), HOME);

        assertThat(config.serverUrl()).isEqualTo(URI.create("http://ota.local:8000"));
        assertThat(config.enrollmentKey()).isEqualTo("k");
        assertThat(config.timezone()).isEqualTo(ZoneId.of("America/Los_Angeles"));
        assertThat(config.uuidFile()).isEqualTo(Path.of("/home/pi/.javia_device_uuid"));
        assertThat(config.tokenFile()).isEqualTo(Path.of("/home/pi/.javia_device_token"));
        assertThat(config.serviceName()).isEqualTo("voice-assistant-client");
        assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.checkInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.urgentIdle()).isEqualTo(Duration.ofHours(1));
        assertThat(config.clockSkew()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.gpioButtonPin()).isEmpty();
        assertThat(config.activitySocket()).isEqualTo(config.stateDir().resolve("activity.sock"));
    }

    @Test
    void readsEveryNamedSetting() {
        Map<String, String> env = new HashMap<>(Map.of("SERVER_URL", "https://ota.example.com", "API_KEY", "k",
                "INSTALL_DIR", "/srv/javia", "STATE_DIR", "/srv/state", "DEVICE_UUID_FILE", "/etc/javia/uuid",
                "SERVICE_NAME", "javia@kitchen.service", "HEARTBEAT_INTERVAL_SECONDS", "60",
                "CHECK_INTERVAL_SECONDS", "120", "URGENT_IDLE_MINUTES", "30", "GPIO_BUTTON_PIN", "17"));
        env.put("ALSA_STREAMS", "playback");
        env.put("CLOCK_SKEW_SECONDS", "30");

        AgentConfig config = AgentConfig.from(env, HOME);

        assertThat(config.installDir()).isEqualTo(Path.of("/srv/javia"));
        assertThat(config.stateDir()).isEqualTo(Path.of("/srv/state"));
        assertThat(config.uuidFile()).isEqualTo(Path.of("/etc/javia/uuid"));
        assertThat(config.tokenFile()).isEqualTo(Path.of("/etc/javia/.javia_device_token"));
        assertThat(config.serviceName()).isEqualTo("javia@kitchen.service");
        assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.checkInterval()).isEqualTo(Duration.ofSeconds(120));
        assertThat(config.urgentIdle()).isEqualTo(Duration.ofMinutes(30));
        assertThat(config.gpioButtonPin()).hasValue(17);
        assertThat(config.alsaPlayback()).isTrue();
        assertThat(config.alsaCapture()).isFalse();
        assertThat(config.clockSkew()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void namesEveryWrongSettingInOneMessage() {
        Map<String, String> env = Map.of("SERVER_URL", "ftp://server", "DEVICE_TIMEZONE", "Mars/Olympus",
                "HEARTBEAT_INTERVAL_SECONDS", "often", "GPIO_BUTTON_PIN", "99", "SERVICE_NAME", "-oops");

        assertThatThrownBy(() -> AgentConfig.from(env, HOME))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).startsWith("SERVER_URL='ftp://server'"))
                        .anySatisfy(p -> assertThat(p).startsWith("API_KEY is required"))
                        .anySatisfy(p -> assertThat(p).startsWith("DEVICE_TIMEZONE='Mars/Olympus'")
                                .contains("America/Los_Angeles"))
                        .anySatisfy(p -> assertThat(p).startsWith("HEARTBEAT_INTERVAL_SECONDS='often'"))
                        .anySatisfy(p -> assertThat(p).startsWith("GPIO_BUTTON_PIN='99'").contains("0 to 53"))
                        .anySatisfy(p -> assertThat(p).startsWith("SERVICE_NAME='-oops'"))
                        .hasSize(6));
    }

    @Test
    void readsTheDevicesOwnUpdateHourAndTakesBlankAsUnset() {
        assertThat(withUpdateHour("3").deviceUpdateHour()).hasValue(3);
        assertThat(withUpdateHour(" 0 ").deviceUpdateHour()).hasValue(0);
        assertThat(withUpdateHour("23").deviceUpdateHour()).hasValue(23);
        assertThat(withUpdateHour("").deviceUpdateHour()).isEmpty();
        assertThat(withUpdateHour("  ").deviceUpdateHour()).isEmpty();
        assertThat(AgentConfig.from(Map.of("SERVER_URL", "http://ota.local:8000", "API_KEY", "k"), HOME)
                .deviceUpdateHour()).as("not set").isEmpty();
    }

    @Test
    void refusesAnUpdateHourOutsideTheDayAndSaysWhatToWrite() {
        for (String wrong : List.of("24", "two", "-1", "3.5")) {
            assertThatThrownBy(() -> withUpdateHour(wrong))
                    .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
                            .satisfies(p -> assertThat(p).startsWith("DEVICE_UPDATE_HOUR='" + wrong + "' ")
                                    .contains("from 0 to 23", "3 for 03:00", "or empty")));
        }
    }

    @Test
    void theDevicesOwnHourIsAlsoTheHourUsedWithAServerThatSendsNoTime() {
        assertThat(withUpdateHour("4").fallbackInstallHour()).isEqualTo(4);
        assertThat(AgentConfig.from(Map.of("SERVER_URL", "http://ota.local:8000", "API_KEY", "k",
                "DEVICE_UPDATE_HOUR", "4", "INSTALL_HOUR", "1"), HOME).fallbackInstallHour()).isEqualTo(4);
        assertThat(AgentConfig.from(Map.of("SERVER_URL", "http://ota.local:8000", "API_KEY", "k",
                "INSTALL_HOUR", "1"), HOME).fallbackInstallHour()).isEqualTo(1);
    }

    private static AgentConfig withUpdateHour(String hour) {
        return AgentConfig.from(Map.of("SERVER_URL", "http://ota.local:8000", "API_KEY", "k",
                "DEVICE_UPDATE_HOUR", hour), HOME);
    }

    @Test
    void readsTheDotEnvFileAndLetsTheEnvironmentWin(@TempDir Path dir) throws IOException {
        Path envFile = Files.write(dir.resolve(".env"), List.of(
                "# written by setup.sh",
                "export SERVER_URL=\"http://from-file:8000\"",
                "API_KEY='file-key'",
                "DEVICE_TIMEZONE=Europe/Berlin # where the Pi is",
                "GPIO_BUTTON_PIN="));

        AgentConfig config = AgentConfig.load(Map.of(AgentConfig.ENV_FILE, envFile.toString(),
                "SERVER_URL", "http://from-env:8000"), HOME);

        assertThat(config.serverUrl()).isEqualTo(URI.create("http://from-env:8000"));
        assertThat(config.enrollmentKey()).isEqualTo("file-key");
        assertThat(config.timezone()).isEqualTo(ZoneId.of("Europe/Berlin"));
        assertThat(config.gpioButtonPin()).isEmpty();
    }

    @Test
    void theAgentsOwnPathsDefaultToTheDeviceLayoutAndFollowTheEnvironmentForSandboxes() {
        AgentConfig defaults = AgentConfig.from(Map.of("SERVER_URL", "http://ota.local:8000", "API_KEY", "k"), HOME);
        assertThat(defaults.agentHome()).isEqualTo(Path.of("/opt/javia-agent"));
        assertThat(defaults.agentUnit()).isEqualTo("javia-ota-agent.service");
        assertThat(defaults.agentUnitDropinDir())
                .isEqualTo(Path.of("/etc/systemd/system/javia-ota-agent.service.d"));
        assertThat(defaults.agentCheckIn()).isEqualTo(Duration.ofSeconds(300));
        assertThat(defaults.procDir()).isEqualTo(Path.of("/proc"));

        AgentConfig sandbox = AgentConfig.from(Map.of("SERVER_URL", "http://ota.local:8000", "API_KEY", "k",
                "AGENT_HOME", "/tmp/sb/opt/javia-agent", "AGENT_UNIT", "javia-ota-agent-test.service",
                "AGENT_UNIT_DROPIN_DIR", "/tmp/sb/etc/dropins", "AGENT_CHECK_IN_SECONDS", "60",
                "JAVIA_PROC", "/tmp/sb/proc"), HOME);
        assertThat(sandbox.agentHome()).isEqualTo(Path.of("/tmp/sb/opt/javia-agent"));
        assertThat(sandbox.agentUnit()).isEqualTo("javia-ota-agent-test.service");
        assertThat(sandbox.agentUnitDropinDir()).isEqualTo(Path.of("/tmp/sb/etc/dropins"));
        assertThat(sandbox.agentCheckIn()).isEqualTo(Duration.ofSeconds(60));
        assertThat(sandbox.procDir()).isEqualTo(Path.of("/tmp/sb/proc"));

        assertThatThrownBy(() -> AgentConfig.from(Map.of("SERVER_URL", "http://ota.local:8000", "API_KEY", "k",
                "AGENT_UNIT", "-x", "AGENT_CHECK_IN_SECONDS", "5"), HOME))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).startsWith("AGENT_UNIT='-x'"))
                        .anySatisfy(p -> assertThat(p).startsWith("AGENT_CHECK_IN_SECONDS='5'"))
                        .hasSize(2));
    }

    /** Issue 18: deltas are used by default and fall back to the full package; both can be turned, and say how. */
    @Test
    void deltasAreOnAndFallBackToTheFullPackageUnlessTurnedOffOrRefused() {
        Map<String, String> base = Map.of("SERVER_URL", "http://ota.local:8000", "API_KEY", "k");
        AgentConfig defaults = AgentConfig.from(base, HOME);
        assertThat(defaults.deltas()).isTrue();
        assertThat(defaults.refuseFullFallback()).isFalse();

        Map<String, String> metered = new HashMap<>(base);
        metered.put("DELTA_FALLBACK", " Refuse ");
        metered.put("DELTAS", "on");
        assertThat(AgentConfig.from(metered, HOME).refuseFullFallback()).isTrue();
        assertThat(AgentConfig.from(metered, HOME).deltas()).isTrue();

        Map<String, String> off = new HashMap<>(base);
        off.put("DELTAS", "off");
        off.put("DELTA_FALLBACK", "full");
        assertThat(AgentConfig.from(off, HOME).deltas()).isFalse();
        assertThat(AgentConfig.from(off, HOME).refuseFullFallback()).isFalse();

        Map<String, String> wrong = new HashMap<>(base);
        wrong.put("DELTAS", "sometimes");
        wrong.put("DELTA_FALLBACK", "never");
        assertThatThrownBy(() -> AgentConfig.from(wrong, HOME))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).isEqualTo("DELTAS='sometimes' must be on or off"))
                        .anySatisfy(p -> assertThat(p).startsWith("DELTA_FALLBACK='never' must be full (")
                                .contains("or refuse ("))
                        .hasSize(2));
    }
}
