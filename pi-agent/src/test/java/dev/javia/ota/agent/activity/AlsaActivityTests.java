package dev.javia.ota.agent.activity;

import dev.javia.ota.agent.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** A fake {@code /proc/asound} tree, as ALSA lays it out. */
class AlsaActivityTests {

    private final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
    private final ActivityTracker tracker = new ActivityTracker(clock::nanoTime, Duration.ofMinutes(30));

    @Test
    void playbackRunningIsASessionAndItsEndIsActivity(@TempDir Path asound) throws IOException {
        Path playback = status(asound, "card0/pcm0p/sub0", "closed\n");
        status(asound, "card0/pcm0c/sub0", "closed\n");
        AlsaActivity alsa = new AlsaActivity(asound, true, true, tracker);
        clock.advance(Duration.ofHours(2));
        alsa.poll();
        assertThat(tracker.idleFor()).isEqualTo(Duration.ofHours(2));

        Files.writeString(playback, "state: RUNNING\nowner_pid   : 1234\ntrigger_time: 1.0\n");
        alsa.poll();
        clock.advance(Duration.ofMinutes(10));
        alsa.poll();
        assertThat(tracker.idleFor()).isZero();

        Files.writeString(playback, "closed\n");
        alsa.poll();
        clock.advance(Duration.ofMinutes(1));

        assertThat(tracker.idleFor()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void captureIsIgnoredWhenSwitchedOff(@TempDir Path asound) throws IOException {
        status(asound, "card1/pcm0c/sub0", "state: RUNNING\nowner_pid   : 99\n");
        status(asound, "card1/pcm0p/sub0", "state: PREPARED\nowner_pid   : 99\n");
        AlsaActivity alsa = new AlsaActivity(asound, true, false, tracker);
        clock.advance(Duration.ofMinutes(10));

        alsa.poll();

        assertThat(tracker.idleFor()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void aMachineWithoutSoundCardsCountsNoAudio(@TempDir Path dir) {
        AlsaActivity alsa = new AlsaActivity(dir.resolve("no-asound"), true, true, tracker);
        clock.advance(Duration.ofMinutes(10));

        alsa.poll();

        assertThat(tracker.idleFor()).isEqualTo(Duration.ofMinutes(10));
    }

    private static Path status(Path asound, String substream, String content) throws IOException {
        Path dir = Files.createDirectories(asound.resolve(substream));
        return Files.writeString(dir.resolve("status"), content);
    }
}
