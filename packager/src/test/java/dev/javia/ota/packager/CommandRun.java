package dev.javia.ota.packager;

import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

/**
 * Runs create_update or javia-ota in-process, as an operator would type it, with its own environment, and captures
 * what it says.
 */
final class CommandRun {

    record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    private CommandRun() {
    }

    static Result run(PackagerEnvironment environment, String... args) {
        return run(CreateUpdate.commandLine(environment), args);
    }

    /** Runs create_update (with its keygen, sign, rollout and device commands), whose clock says {@code now}. */
    static Result run(PackagerEnvironment environment, Instant now, String... args) {
        return run(CreateUpdate.commandLine(environment, Clock.fixed(now, ZoneOffset.UTC)), args);
    }

    /** Runs javia-ota, whose clock says {@code now}. */
    static Result operator(PackagerEnvironment environment, Instant now, String... args) {
        return run(OperatorCommand.commandLine(environment, Clock.fixed(now, ZoneOffset.UTC)), args);
    }

    private static Result run(CommandLine commandLine, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Result(exitCode, out.toString(), err.toString());
    }

    /** An environment rooted in {@code workingDir}: no terminal, no config file, no pause between retries. */
    static PackagerEnvironment environment(Path workingDir, Map<String, String> variables) {
        return environment(workingDir, variables, false);
    }

    /** The same, on a terminal when {@code interactive}. */
    static PackagerEnvironment environment(Path workingDir, Map<String, String> variables, boolean interactive) {
        return new PackagerEnvironment(variables, workingDir, workingDir.resolve("home"), interactive, duration -> {
        });
    }

    /**
     * A pi_client/ as an operator has it: application files, an executable script, and what must never ship
     * (a .env with a secret, a bytecode cache, an editor backup).
     */
    static Path writeSource(Path workingDir) throws IOException {
        Path source = workingDir.resolve("pi_client");
        Files.createDirectories(source.resolve("audio"));
        Files.writeString(source.resolve("client.py"), "print('javia voice assistant')\n");
        Files.writeString(source.resolve("device_manager.py"), "UUID_FILE = '~/.javia_device_uuid'\n");
        Files.writeString(source.resolve("requirements.txt"), "requests==2.32.3\n");
        Files.writeString(source.resolve("audio/codec.py"), "CODEC = 'opus'\n");
        Path run = Files.writeString(source.resolve("run.sh"), "#!/bin/sh\nexec python3 client.py\n");
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(source.resolve(".env"), "SUPABASE_SERVICE_KEY=do-not-ship-me\n");
        Files.createDirectories(source.resolve("__pycache__"));
        Files.write(source.resolve("__pycache__/client.cpython-311.pyc"), new byte[]{1, 2, 3});
        Files.writeString(source.resolve("client.py~"), "backup\n");
        return source;
    }
}
