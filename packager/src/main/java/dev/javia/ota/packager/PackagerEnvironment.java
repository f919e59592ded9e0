package dev.javia.ota.packager;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Everything the command takes from the process around it, so that a test can run it in-process with its own
 * environment variables, working directory and terminal, and without waiting between upload retries.
 *
 * @param variables   environment variables (OTA_SERVER_URL, OTA_ADMIN_API_KEY, ...)
 * @param workingDir  what relative paths are resolved against
 * @param home        the user's home, for the default config file
 * @param interactive whether a person watches a terminal (a progress bar) or output goes to a log (plain lines)
 * @param pause       waits between upload attempts
 */
record PackagerEnvironment(Map<String, String> variables, Path workingDir, Path home, boolean interactive,
                           Pause pause) {

    /** Waits before a retry. */
    interface Pause {
        void sleep(Duration duration) throws InterruptedException;
    }

    PackagerEnvironment {
        variables = Map.copyOf(variables);
    }

    static PackagerEnvironment system() {
        return new PackagerEnvironment(System.getenv(), Path.of("").toAbsolutePath(),
                Path.of(System.getProperty("user.home")), System.console() != null,
                duration -> Thread.sleep(duration.toMillis()));
    }

    String variable(String name) {
        String value = variables.get(name);
        return value == null || value.isBlank() ? null : value.trim();
    }

    Path resolve(String path) {
        return workingDir.resolve(path).normalize();
    }
}
