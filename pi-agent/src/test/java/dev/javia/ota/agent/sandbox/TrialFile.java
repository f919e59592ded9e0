package dev.javia.ota.agent.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The trial file ({@code STATE_DIR/agent-trial}, spec 16) as the tests see it: its lines in order, so that a test can
 * tell that unknown keys were kept where they were. The first {@code key=} line wins, as for every reader.
 */
public record TrialFile(List<String> lines) {

    public static final String NAME = "agent-trial";

    public TrialFile {
        lines = List.copyOf(lines);
    }

    /** The trial the old agent writes just before it moves {@code current}. */
    public static TrialFile started(String from, String to, FakeProc proc, String... extraLines) {
        List<String> lines = new ArrayList<>(List.of("format=1", "state=trial",
                "update_id=0193a9f2-7c1e-7d4b-9a2f-5c3e8b1d6f40", "from=" + from, "to=" + to,
                "boot_id=" + proc.bootId(), "since_uptime=" + proc.uptimeSeconds(), "check_in_seconds=300",
                "starts=0", "max_starts=3", "reason="));
        lines.addAll(List.of(extraLines));
        return new TrialFile(lines);
    }

    public static Optional<TrialFile> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        return Optional.of(new TrialFile(Files.readAllLines(file, StandardCharsets.UTF_8)));
    }

    public String get(String key) {
        return lines.stream().filter(line -> line.startsWith(key + "=")).findFirst()
                .map(line -> line.substring(key.length() + 1)).orElse(null);
    }

    public String state() {
        return get("state");
    }

    /** A copy with KEY set (replaced in place, or appended). */
    public TrialFile with(String key, String value) {
        List<String> changed = new ArrayList<>(lines);
        int index = -1;
        for (int i = 0; i < changed.size(); i++) {
            if (changed.get(i).startsWith(key + "=")) {
                index = i;
                break;
            }
        }
        if (index >= 0) {
            changed.set(index, key + "=" + value);
        } else {
            changed.add(key + "=" + value);
        }
        return new TrialFile(changed);
    }

    /** Written whole, as every writer does: a temporary file, then one rename. */
    public void writeTo(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".test-tmp");
        Files.writeString(tmp, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
