package dev.javia.ota.agent.activity;

import dev.javia.ota.agent.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class ActivitySocketTests {

    private final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final ActivityTracker tracker = new ActivityTracker(clock::nanoTime, Duration.ofMinutes(30));

    @Test
    void theAppReportsSessionsLineByLine(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("activity.sock");
        try (ActivitySocket socket = ActivitySocket.open(path, tracker);
             SocketChannel app = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            app.connect(UnixDomainSocketAddress.of(path));
            BufferedReader answers = new BufferedReader(new InputStreamReader(Channels.newInputStream(app),
                    StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(app);
            clock.advance(Duration.ofHours(2));

            assertThat(send(out, answers, "session start")).isEqualTo("ok");
            clock.advance(Duration.ofMinutes(10));
            assertThat(tracker.idleFor()).isZero();

            assertThat(send(out, answers, "session end")).isEqualTo("ok");
            clock.advance(Duration.ofMinutes(1));
            assertThat(tracker.idleFor()).isEqualTo(Duration.ofMinutes(1));

            assertThat(send(out, answers, "activity")).isEqualTo("ok");
            assertThat(tracker.idleFor()).isZero();
            assertThat(send(out, answers, "reboot now")).startsWith("error");
        }
        assertThat(path).doesNotExist();
    }

    @Test
    void replacesAStaleSocketFileAndLetsOtherUsersConnect(@TempDir Path dir) throws IOException {
        Path path = Files.writeString(dir.resolve("activity.sock"), "left by a crash");

        try (ActivitySocket socket = ActivitySocket.open(path, tracker)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-rw-rw-");
        }
    }

    private static String send(OutputStream out, BufferedReader answers, String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return answers.readLine();
    }
}
