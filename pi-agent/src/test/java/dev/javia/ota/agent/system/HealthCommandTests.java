package dev.javia.ota.agent.system;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The app's health command as a real process: in the release's directory, its last line as its word, bounded. */
class HealthCommandTests {

    @Test
    void runsTheReleasesOwnCommandInItsDirectoryAndTakesItsLastLine(@TempDir Path release) throws IOException {
        script(release, "#!/bin/sh\necho \"checking in $(pwd)\"\n[ \"$JAVIA_RELEASE_DIR\" = \"$(pwd)\" ] || exit 9\n"
                + "echo 'wake-word engine failed to load model' >&2\nexit 1\n");

        AppHealth.Answer answer = new HealthCommand(new ProcessCommandRunner(), List.of("./healthcheck"),
                Duration.ofSeconds(10)).ask(release);

        assertThat(answer.well()).isFalse();
        assertThat(answer.account()).isEqualTo("says: wake-word engine failed to load model");
    }

    @Test
    void exitZeroIsWell(@TempDir Path release) throws IOException {
        script(release, "#!/bin/sh\necho 'wake-word engine loaded'\n");

        AppHealth.Answer answer = new HealthCommand(new ProcessCommandRunner(), List.of("./healthcheck"),
                Duration.ofSeconds(10)).ask(release);

        assertThat(answer).isEqualTo(new AppHealth.Answer(true, "says: wake-word engine loaded"));
    }

    @Test
    void aMissingCommandIsNotWellAndSaysWhatToCheck(@TempDir Path release) {
        AppHealth.Answer answer = new HealthCommand(new ProcessCommandRunner(), List.of("./no-such-check"),
                Duration.ofSeconds(10)).ask(release);

        assertThat(answer.well()).isFalse();
        assertThat(answer.account()).startsWith("has no health command to run (check APP_HEALTH_COMMAND): "
                + "./no-such-check: cannot run");
    }

    /** The app's words go into a log line, the state file and the report: one line, bounded, no control codes. */
    @Test
    void theAppsWordsAreOneBoundedLine() {
        RecordingCommandRunner runner = new RecordingCommandRunner()
                .answer(List.of("check"), CommandResult.exit(1, "\u001b[31mmodel\tmissing\u001b[0m " + "y".repeat(500)));

        AppHealth.Answer answer = new HealthCommand(runner, List.of("check"), Duration.ofSeconds(10))
                .ask(Path.of("/opt/javia/releases/v1.1.0"));

        assertThat(answer.account()).startsWith("says: [31mmodel missing [0m yyy").hasSize(AppHealth.MAX_WORDS)
                .endsWith("...").doesNotContain("\u001b", "\t", "\n");
    }

    private static void script(Path release, String text) throws IOException {
        Path file = release.resolve("healthcheck");
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
