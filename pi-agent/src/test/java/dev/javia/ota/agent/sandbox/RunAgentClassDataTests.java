package dev.javia.ota.agent.sandbox;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * run-agent's class-data sharing (AppCDS): an archive per release and JVM, made at the release's first stop, checked
 * in a JVM of its own before the agent maps it, so that a dump cut short (a power cut while the agent stopped) costs
 * one more start without sharing, never an agent that dies of SIGBUS at every start.
 */
class RunAgentClassDataTests {

    @TempDir
    Path dir;
    DeviceSandbox sandbox;
    TestAgentJars jars;

    @BeforeEach
    void device() throws IOException {
        sandbox = DeviceSandbox.create(dir.resolve("pi"));
        jars = new TestAgentJars(dir.resolve("jars"));
        sandbox.installRelease("v0.1.0", jars.good("v0.1.0"));
        sandbox.makeCurrent("v0.1.0");
    }

    @Test
    void theFirstStopOfAReleaseMakesTheArchiveAndTheNextStartsMapIt() throws Exception {
        try (AgentService service = service()) {
            AgentService.Start first = service.awaitRunning("v0.1.0");
            assertThat(first.output()).contains("no class-data archive for this release and JVM yet");
            service.stop();
            assertThat(archives()).singleElement().asString().endsWith(".jsa.new").contains("pi-agent-v0.1.0-");

            service.start();
            service.awaitStarts(2);
            AgentService.Start second = service.awaitRunning("v0.1.0");
            assertThat(second.output()).contains("the class-data archive of the last run is good")
                    .contains("class-data sharing from " + cacheDir().resolve("pi-agent-v0.1.0-"));
            assertThat(archives()).singleElement().asString().endsWith(".jsa");
        }
    }

    @Test
    void anArchiveCutShortIsDeletedAndTheAgentStartsWithoutIt() throws Exception {
        try (AgentService service = service()) {
            service.awaitRunning("v0.1.0");
            service.stop();
            Path cut = archives().get(0);
            cut.toFile().setWritable(true);
            try (RandomAccessFile file = new RandomAccessFile(cut.toFile(), "rw")) {
                file.setLength(file.length() / 3);
            }

            service.start();
            service.awaitStarts(2);
            AgentService.Start next = service.awaitRunning("v0.1.0");
            assertThat(next.output()).contains("the class-data archive of the last run is damaged")
                    .contains("no class-data archive for this release and JVM yet")
                    .doesNotContain("SIGBUS");
            assertThat(next.isRunning()).isTrue();
        }
    }

    @Test
    void anotherReleaseMakesItsOwnArchiveAndTheOldOneGoes() throws Exception {
        try (AgentService service = service()) {
            service.awaitRunning("v0.1.0");
            service.stop();
            service.start();
            service.awaitStarts(2);
            service.awaitRunning("v0.1.0");
            service.stop();
            assertThat(archives()).singleElement().asString().contains("pi-agent-v0.1.0-").endsWith(".jsa");

            sandbox.installRelease("v0.2.0", jars.good("v0.2.0"));
            sandbox.makeCurrent("v0.2.0");
            service.start();
            service.awaitStarts(3);
            service.awaitRunning("v0.2.0");
            assertThat(archives()).isEmpty();
            service.stop();
            assertThat(archives()).singleElement().asString().contains("pi-agent-v0.2.0-");
        }
    }

    private AgentService service() {
        AgentService service = new AgentService(sandbox, Map.of("AGENT_CDS", "on"), AgentService.DEFAULT_RESTART_SEC,
                AgentService.DEFAULT_START_LIMIT);
        service.start();
        return service;
    }

    private Path cacheDir() {
        return sandbox.root().resolve("var/cache/javia-agent");
    }

    private List<Path> archives() throws IOException {
        if (!Files.isDirectory(cacheDir())) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(cacheDir())) {
            return files.sorted().toList();
        }
    }
}
