package dev.javia.ota.agent.identity;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The hardware and OS facts sent as the device's metadata: what an operator asks first when one Pi misbehaves. */
public final class DeviceFacts {

    private DeviceFacts() {
    }

    public static Map<String, Object> collect(Path root) {
        Map<String, Object> facts = new LinkedHashMap<>();
        readFirstLine(root.resolve("proc/device-tree/model")).ifPresent(model -> facts.put("model", model));
        osRelease(root.resolve("etc/os-release")).ifPresent(os -> facts.put("os", os));
        facts.put("kernel", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        facts.put("arch", System.getProperty("os.arch"));
        facts.put("java", System.getProperty("java.version"));
        facts.put("memory_max_mb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
        facts.put("cpus", Runtime.getRuntime().availableProcessors());
        hostname().ifPresent(host -> facts.put("hostname", host));
        Optional.ofNullable(DeviceFacts.class.getPackage().getImplementationVersion())
                .ifPresent(version -> facts.put("agent_version", version));
        return facts;
    }

    public static Optional<String> hostname() {
        try {
            return Optional.of(InetAddress.getLocalHost().getHostName());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> osRelease(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .filter(line -> line.startsWith("PRETTY_NAME="))
                    .map(line -> line.substring("PRETTY_NAME=".length()).replace("\"", ""))
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> readFirstLine(Path file) {
        try {
            // the device tree's strings end in NUL
            String text = Files.readString(file, StandardCharsets.UTF_8).replace("\0", "").strip();
            return text.isEmpty() ? Optional.empty() : Optional.of(text.lines().findFirst().orElse(text));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
