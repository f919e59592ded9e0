package dev.javia.ota.agent.activity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Audio capture and playback as ALSA reports them in {@code /proc/asound/cardN/pcmN{p,c}/subN/status}: a
 * substream whose status starts {@code state: RUNNING} is a session. procfs has no inotify, so the agent polls
 * on each tick. A hint only (a sound server keeps devices open a few seconds; a wake-word listener keeps capture
 * running), which is why capture can be switched off and the app's own reports come first.
 */
public final class AlsaActivity {

    private static final Logger LOG = Logger.getLogger(AlsaActivity.class.getName());

    private final Path asound;
    private final boolean playback;
    private final boolean capture;
    private final ActivityTracker tracker;
    private final Set<String> running = new HashSet<>();
    private boolean warned;

    public AlsaActivity(Path asound, boolean playback, boolean capture, ActivityTracker tracker) {
        this.asound = asound;
        this.playback = playback;
        this.capture = capture;
        this.tracker = tracker;
    }

    /** Reads every substream once; opens, renews and ends sessions accordingly. */
    public synchronized void poll() {
        Set<String> now = new HashSet<>();
        try {
            for (Path status : substreams()) {
                if (isRunning(status)) {
                    now.add("alsa " + asound.relativize(status.getParent()));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            if (!warned) {
                warned = true;
                LOG.warning("cannot read ALSA state under " + asound + " (" + e.getMessage()
                        + "); audio does not count as activity");
            }
            return;
        }
        for (String source : now) {
            tracker.sessionStarted(source);
        }
        for (String source : running) {
            if (!now.contains(source)) {
                tracker.sessionEnded(source);
            }
        }
        running.clear();
        running.addAll(now);
    }

    private Set<Path> substreams() throws IOException {
        Set<Path> found = new HashSet<>();
        if ((!playback && !capture) || !Files.isDirectory(asound)) {
            return found;
        }
        try (DirectoryStream<Path> cards = Files.newDirectoryStream(asound, "card[0-9]*")) {
            for (Path card : cards) {
                try (DirectoryStream<Path> pcms = Files.newDirectoryStream(card, "pcm[0-9]*[pc]")) {
                    for (Path pcm : pcms) {
                        boolean isPlayback = pcm.getFileName().toString().endsWith("p");
                        if (isPlayback ? !playback : !capture) {
                            continue;
                        }
                        try (DirectoryStream<Path> subs = Files.newDirectoryStream(pcm, "sub[0-9]*")) {
                            for (Path sub : subs) {
                                found.add(sub.resolve("status"));
                            }
                        }
                    }
                }
            }
        }
        return found;
    }

    private static boolean isRunning(Path status) {
        try {
            String text = Files.readString(status, StandardCharsets.UTF_8);
            // DRAINING: the last buffer is still playing
            return text.lines().findFirst().map(String::strip)
                    .map(line -> line.equals("state: RUNNING") || line.equals("state: DRAINING")).orElse(false);
        } catch (IOException e) {
            return false; // a substream closed between listing and reading
        }
    }
}
