package dev.javia.ota.agent;

import dev.javia.ota.agent.config.AgentConfig;
import dev.javia.ota.agent.system.RecordingCommandRunner;
import dev.javia.ota.agent.system.SystemdNotifier;
import dev.javia.ota.agent.testing.MutableClock;
import dev.javia.ota.server.testing.TestServer;

import dev.javia.ota.packager.CreateUpdate;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Pi on the test's disk for the end-to-end tests: what setup.sh leaves there, the agent as {@link Main} wires it
 * against a real {@link TestServer}, and the server's rows the tests read.
 */
final class EndToEndPi {

    private EndToEndPi() {
    }

    /** The agent of {@code pi}, with the settings setup.sh writes and {@code more} on top. */
    static Agent agent(TestServer server, Path pi, RecordingCommandRunner runner, MutableClock clock,
            Map<String, String> more, Duration pulse) {
        AgentConfig config = AgentConfig.from(environment(server, pi, more), pi.resolve("home/pi"));
        return Main.assemble(config, runner, new SystemdNotifier(runner, Map.of("NOTIFY_SOCKET", "/run/test")),
                clock, clock::nanoTime, clock.sleeper(), () -> {
                    throw new IllegalStateException("no GPIO here");
                }, pulse == null ? config.tick() : pulse);
    }

    /** The settings setup.sh writes for the Pi on {@code pi}, and {@code more} on top. */
    static Map<String, String> environment(TestServer server, Path pi, Map<String, String> more) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SERVER_URL", server.baseUrl());
        env.put("API_KEY", server.enrollmentKey());
        env.put("DEVICE_TIMEZONE", "Europe/Berlin");
        env.put("INSTALL_DIR", pi.resolve("opt/javia").toString());
        env.put("STATE_DIR", pi.resolve("var/lib/javia-agent").toString());
        env.put("DEVICE_UUID_FILE", pi.resolve("home/pi/.javia_device_uuid").toString());
        env.put("GPIO_BUTTON_PIN", "");
        env.put("ALSA_STREAMS", "none");
        env.put("URGENT_IDLE_MINUTES", "0");
        env.put("HEALTH_CHECK_SECONDS", "4");
        env.putAll(more);
        return env;
    }

    /** What setup.sh leaves: one release, current pointing at it, VERSION. */
    static void preinstall(Path pi, String version) throws IOException {
        Path root = pi.resolve("opt/javia");
        Files.createDirectories(root.resolve("releases/" + version));
        Files.writeString(root.resolve("releases/" + version + "/client.py"), "print('old')\n");
        Files.createSymbolicLink(root.resolve("current"), Path.of("releases", version));
        Files.writeString(root.resolve("VERSION"), version + "\n");
    }

    /**
     * Publishes an urgent update with the real packager (create_update, in this JVM), to this device alone so that
     * the tests' devices do not get each other's updates.
     */
    static void publish(TestServer server, Path pi, String deviceUuid, String version, String systemPackages)
            throws IOException {
        Path source = pi.resolve("build/pi_client-" + version);
        Files.createDirectories(source);
        Files.writeString(source.resolve("client.py"), "print('javia " + version + "')\n");
        Files.writeString(source.resolve("requirements.txt"), "requests==2.32.3\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> args = new ArrayList<>(List.of(version, "end-to-end " + version, "urgent"));
        if (!systemPackages.isEmpty()) {
            args.add(systemPackages);
        }
        args.addAll(List.of("--source", source.toString(), "--target-devices", deviceUuid));
        int exit = CreateUpdate.run(Map.of("OTA_SERVER_URL", server.baseUrl(), "OTA_ADMIN_API_KEY", server.adminKey()),
                pi, new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        assertThat(exit).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("published " + version);
    }

    /** A column of the device's update to {@code version}, e.g. its status or error_message. */
    static String updateColumn(TestServer server, String deviceUuid, String version, String column) {
        return server.jdbcTemplate().queryForObject("select du." + column + "::text from device_updates du"
                + " join devices d on d.id = du.device_id join updates u on u.id = du.update_id"
                + " where d.device_uuid = ? and u.version = ?", String.class, deviceUuid, version);
    }

    static String deviceColumn(TestServer server, String deviceUuid, String column) {
        return server.jdbcTemplate().queryForObject("select " + column + " from devices where device_uuid = ?",
                String.class, deviceUuid);
    }
}
