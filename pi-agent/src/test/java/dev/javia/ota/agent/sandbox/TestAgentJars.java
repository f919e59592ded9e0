package dev.javia.ota.agent.sandbox;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Agent jars built at test time, each a real {@code java -jar} that behaves one way: one tiny main compiled once
 * (javax.tools) and packed with a properties file naming its version and behaviour. They speak the parts of the
 * agent's contract the guard depends on: {@code systemd-notify --ready} once running (when NOTIFY_SOCKET is set),
 * and, for {@link #good}, the commit of its own trial (state=committed, unknown keys kept, written whole).
 * {@link #realAgent} is the agent itself, through a manifest Class-Path onto the build's classes.
 */
public final class TestAgentJars {

    /** The one source of every test agent; {@code mode} comes from test-agent.properties in its jar. */
    private static final String SOURCE = """
            import java.io.InputStream;
            import java.nio.charset.StandardCharsets;
            import java.nio.file.Files;
            import java.nio.file.Path;
            import java.nio.file.StandardCopyOption;
            import java.util.ArrayList;
            import java.util.List;
            import java.util.Properties;
            import java.util.concurrent.TimeUnit;

            public class TestAgent {
                public static void main(String[] args) throws Exception {
                    Properties properties = new Properties();
                    try (InputStream in = TestAgent.class.getResourceAsStream("/test-agent.properties")) {
                        properties.load(in);
                    }
                    String version = properties.getProperty("version");
                    String mode = properties.getProperty("mode");
                    System.out.println("test agent " + version + " (" + mode + ") started");
                    switch (mode) {
                        case "exits-at-once":
                            System.out.println("test agent " + version + ": cannot start, exit 1");
                            System.exit(1);
                            break;
                        case "crashes":
                            ready();
                            Thread.sleep(1000);
                            System.out.println("test agent " + version + ": crashed, exit 3");
                            System.exit(3);
                            break;
                        case "never-checks-in":
                            ready();
                            Thread.sleep(Long.MAX_VALUE);
                            break;
                        case "good":
                            commit(version);
                            ready();
                            Thread.sleep(Long.MAX_VALUE);
                            break;
                        default:
                            throw new IllegalStateException("unknown mode " + mode);
                    }
                }

                static void ready() throws Exception {
                    if (System.getenv("NOTIFY_SOCKET") == null) {
                        return;
                    }
                    Process notify = new ProcessBuilder("systemd-notify", "--ready").inheritIO().start();
                    notify.waitFor(10, TimeUnit.SECONDS);
                }

                /** What the new agent does after its first 2xx: state=trial and to == its version -> committed. */
                static void commit(String version) throws Exception {
                    String stateDir = System.getenv("STATE_DIR");
                    if (stateDir == null) {
                        return;
                    }
                    Path trial = Path.of(stateDir, "agent-trial");
                    if (!Files.exists(trial)) {
                        return;
                    }
                    List<String> lines = Files.readAllLines(trial, StandardCharsets.UTF_8);
                    if (!lines.contains("state=trial") || !lines.contains("to=" + version)) {
                        return;
                    }
                    List<String> out = new ArrayList<>();
                    for (String line : lines) {
                        out.add(line.equals("state=trial") ? "state=committed" : line);
                    }
                    Path tmp = trial.resolveSibling("agent-trial.agent-tmp");
                    Files.writeString(tmp, String.join("\\n", out) + "\\n", StandardCharsets.UTF_8);
                    Files.move(tmp, trial, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    System.out.println("test agent " + version + ": checked in, committed the trial");
                }
            }
            """;

    private static Path compiled;

    private final Path dir;

    /** Jars are written to DIR (a test's temporary directory). */
    public TestAgentJars(Path dir) {
        this.dir = dir;
    }

    /** Starts, tells systemd it is ready, commits its trial at once (as after its first 2xx) and runs. */
    public Path good(String version) throws IOException {
        return jar(version, "good");
    }

    /** Exits 1 at once: the agent does not start. */
    public Path exitsAtOnce(String version) throws IOException {
        return jar(version, "exits-at-once");
    }

    /** Starts and runs, ready for systemd, but never checks in with the server (never commits). */
    public Path neverChecksIn(String version) throws IOException {
        return jar(version, "never-checks-in");
    }

    /** Ready, then dies a second later, at every start: a crash loop. */
    public Path crashesAfterASecond(String version) throws IOException {
        return jar(version, "crashes");
    }

    /**
     * JVM flags the JVM refuses to start with, for a release's own jvm.options (with {@link #good}: the jar is fine,
     * its flags are not). No IgnoreUnrecognizedVMOptions, which would let the unknown flag pass.
     */
    public static String refusedJvmOptions() {
        return "# a release whose flags the JVM refuses\n-Xmx64m\n-XX:+ThisFlagDoesNotExistInAnyJava\n";
    }

    /**
     * The real agent as built: a jar holding the agent's own classes (target/classes: the jar is its code source,
     * so the agent reads its version from the VERSION beside it, as in a release) and a manifest Class-Path onto
     * every dependency of this test JVM's class path, {@code Main-Class: dev.javia.ota.agent.Main}. Install it as
     * several releases to let the real agent switch between them.
     */
    public Path realAgent(String name) throws IOException {
        Path ownClasses;
        try {
            ownClasses = Path.of(dev.javia.ota.agent.Main.class.getProtectionDomain().getCodeSource().getLocation()
                    .toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("where is dev.javia.ota.agent.Main loaded from?", e);
        }
        List<String> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry).toAbsolutePath();
            if (!entry.isBlank() && !path.equals(ownClasses) && !path.endsWith("test-classes")) {
                URI uri = path.toUri();
                urls.add(uri.toString());
            }
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "dev.javia.ota.agent.Main");
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", urls));
        Files.createDirectories(dir);
        Path jar = dir.resolve(name + ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
             Stream<Path> files = Files.walk(ownClasses)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String entry = ownClasses.relativize(file).toString().replace(File.separatorChar, '/');
                if (entry.equals("META-INF/MANIFEST.MF")) {
                    continue;
                }
                out.putNextEntry(new JarEntry(entry));
                Files.copy(file, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    private Path jar(String version, String mode) throws IOException {
        Path classes = compiledTestAgent();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "TestAgent");
        Files.createDirectories(dir);
        Path jar = dir.resolve("test-agent-" + version + "-" + mode + ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
             Stream<Path> files = Files.list(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                out.putNextEntry(new JarEntry(file.getFileName().toString()));
                Files.copy(file, out);
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry("test-agent.properties"));
            write(out, "version=" + version + "\nmode=" + mode + "\n");
            out.closeEntry();
        }
        return jar;
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Compiles the test agent once per test JVM, into the module's target directory. */
    private static synchronized Path compiledTestAgent() throws IOException {
        if (compiled != null) {
            return compiled;
        }
        Path work = Files.createTempDirectory(Path.of("target").toAbsolutePath().toFile().isDirectory()
                ? Path.of("target") : Path.of(System.getProperty("java.io.tmpdir")), "test-agent-");
        Path source = work.resolve("src/TestAgent.java");
        Path classes = work.resolve("classes");
        Files.createDirectories(source.getParent());
        Files.createDirectories(classes);
        Files.writeString(source, SOURCE, StandardCharsets.UTF_8);
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        if (compiler == null) {
            throw new IllegalStateException("no Java compiler in " + System.getProperty("java.home")
                    + ": run the tests with a JDK, not a JRE");
        }
        StringWriter errors = new StringWriter();
        boolean ok = compiler.getTask(errors, null, null,
                List.of("--release", "17", "-d", classes.toString()), null,
                compiler.getStandardFileManager(null, null, StandardCharsets.UTF_8)
                        .getJavaFileObjects(source.toFile())).call();
        if (!ok) {
            throw new IllegalStateException("the test agent does not compile:\n" + errors);
        }
        compiled = classes;
        return classes;
    }
}
