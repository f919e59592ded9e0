package dev.javia.ota.packager;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class UploadProgressTests {

    private final StringWriter text = new StringWriter();
    private final AtomicLong nanos = new AtomicLong();

    @Test
    void drawsABarInPlaceOnATerminal() {
        UploadProgress progress = new UploadProgress(new PrintWriter(text), true, nanos::get);
        progress.start(4 * 1024 * 1024);
        nanos.set(1_000_000_000L);
        progress.sent(2 * 1024 * 1024);
        progress.endLine();
        assertThat(text.toString()).isEqualTo("\r[###############---------------]   50%  2.0 MiB of 4.0 MiB  2.0 MiB/s\n");
    }

    @Test
    void redrawsAtMostTenTimesASecondButAlwaysAtTheEnd() {
        UploadProgress progress = new UploadProgress(new PrintWriter(text), true, nanos::get);
        progress.start(1000);
        progress.sent(100);
        progress.sent(200);
        progress.sent(1000);
        assertThat(text.toString().split("\r", -1)).hasSize(3);
    }

    @Test
    void writesAPlainLineAtEachQuarterWhenNotOnATerminal() {
        UploadProgress progress = new UploadProgress(new PrintWriter(text), false, nanos::get);
        progress.start(1000);
        nanos.set(2_000_000_000L);
        for (long sent = 100; sent <= 1000; sent += 100) {
            progress.sent(sent);
        }
        assertThat(text.toString()).doesNotContain("\r").hasLineCount(4)
                .contains("uploaded  30%  300 B of 1000 B  150 B/s", "uploaded 100%  1000 B of 1000 B  500 B/s");
    }

    @Test
    void printsSizesForPeople() {
        assertThat(UploadProgress.human(512)).isEqualTo("512 B");
        assertThat(UploadProgress.human(1536)).isEqualTo("1.5 KiB");
        assertThat(UploadProgress.human(512L * 1024 * 1024)).isEqualTo("512.0 MiB");
    }
}
