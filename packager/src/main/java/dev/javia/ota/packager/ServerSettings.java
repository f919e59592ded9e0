package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.AdminKeyEntry;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Properties;
import java.util.Set;

/**
 * Where to publish and with which admin key. The server URL comes from {@code --server}, else
 * {@code OTA_SERVER_URL}, else {@code server_url} in the config file; the admin key from {@code OTA_ADMIN_API_KEY},
 * else {@code admin_api_key} in the config file (given as one of the server's {@code name:key} entries, only the key
 * is sent). There is deliberately no option for the key: a key on a command line ends up in shell history and in
 * {@code ps}.
 *
 * <p>The config file is {@code --config FILE}, else {@code $OTA_PACKAGER_CONFIG}, else
 * {@code $XDG_CONFIG_HOME/javia-ota/packager.properties} ({@code ~/.config/javia-ota/packager.properties}).
 */
record ServerSettings(URI baseUrl, String adminKey) {

    static final String SERVER_URL_VARIABLE = "OTA_SERVER_URL";
    static final String ADMIN_KEY_VARIABLE = "OTA_ADMIN_API_KEY";
    static final String CONFIG_VARIABLE = "OTA_PACKAGER_CONFIG";
    static final String DEFAULT_CONFIG = "~/.config/javia-ota/packager.properties";
    static final String SIGN_KEY_VARIABLE = "OTA_SIGN_KEY";

    /**
     * The publisher key that signs, read and checked: {@code --sign-key FILE}, else {@code $OTA_SIGN_KEY} (a file
     * name, never the key itself), else {@code sign_key} in the config file; null when none is named. Unlike the
     * server settings this needs no server: a package built with {@code --output} is signed too.
     */
    static PublisherKeyFiles.SigningKey signingKey(String signKeyOption, String configOption,
                                                   PackagerEnvironment environment) {
        if (signKeyOption != null) {
            return PublisherKeyFiles.readSigningKey(expandHome(signKeyOption, environment), "--sign-key");
        }
        String fromVariable = environment.variable(SIGN_KEY_VARIABLE);
        if (fromVariable != null) {
            return PublisherKeyFiles.readSigningKey(expandHome(fromVariable, environment), SIGN_KEY_VARIABLE);
        }
        Path configFile = configFile(configOption, environment);
        Properties config = load(configFile, configOption != null || environment.variable(CONFIG_VARIABLE) != null);
        String fromConfig = firstOf(config.getProperty("sign_key"));
        if (fromConfig != null) {
            return PublisherKeyFiles.readSigningKey(expandHome(fromConfig, environment), "sign_key in " + configFile);
        }
        return null;
    }

    private static Path expandHome(String path, PackagerEnvironment environment) {
        if (path.equals("~") || path.startsWith("~/")) {
            return environment.home().resolve(path.substring(Math.min(2, path.length()))).normalize();
        }
        return environment.resolve(path);
    }

    static ServerSettings resolve(String serverOption, String configOption, PackagerEnvironment environment,
                                  PrintWriter err) {
        Path configFile = configFile(configOption, environment);
        Properties config = load(configFile, configOption != null || environment.variable(CONFIG_VARIABLE) != null);
        String server = firstOf(serverOption, environment.variable(SERVER_URL_VARIABLE), config.getProperty("server_url"));
        String key = firstOf(environment.variable(ADMIN_KEY_VARIABLE), config.getProperty("admin_api_key"));
        if (server == null) {
            throw PackagerException.badInput("no server given: pass --server URL, set " + SERVER_URL_VARIABLE
                    + ", or put server_url=URL in " + configFile + " (or use --output FILE to build without "
                    + "publishing)");
        }
        URI baseUrl = parseUrl(server);
        if (key == null) {
            throw PackagerException.badInput("no admin key: set " + ADMIN_KEY_VARIABLE + ", or put admin_api_key=KEY "
                    + "in " + configFile + " (chmod 600); the key is one of the server's OTA_ADMIN_API_KEY values");
        }
        if (config.getProperty("admin_api_key") != null && environment.variable(ADMIN_KEY_VARIABLE) == null) {
            warnIfOthersCanRead(configFile, err);
        }
        // the server's OTA_ADMIN_API_KEY entries are name:key; an operator may copy one whole: send the key alone
        return new ServerSettings(baseUrl, AdminKeyEntry.keyOf(key));
    }

    private static Path configFile(String configOption, PackagerEnvironment environment) {
        if (configOption != null) {
            return environment.resolve(configOption);
        }
        String fromVariable = environment.variable(CONFIG_VARIABLE);
        if (fromVariable != null) {
            return environment.resolve(fromVariable);
        }
        String xdg = environment.variable("XDG_CONFIG_HOME");
        Path base = xdg != null ? Path.of(xdg) : environment.home().resolve(".config");
        return base.resolve("javia-ota").resolve("packager.properties");
    }

    private static Properties load(Path file, boolean required) {
        Properties properties = new Properties();
        if (!Files.exists(file)) {
            if (required) {
                throw PackagerException.badInput("config file " + file + " does not exist: create it (server_url=URL "
                        + "and admin_api_key=KEY) or leave --config / " + CONFIG_VARIABLE + " out");
            }
            return properties;
        }
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw PackagerException.badInput("cannot read config file " + file + " (" + e.getMessage() + "): it holds "
                    + "lines such as server_url=https://ota.example.com");
        }
        return properties;
    }

    static URI parseUrl(String text) {
        String trimmed = text.trim();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        try {
            URI uri = new URI(trimmed);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
                    && uri.getQuery() == null && uri.getFragment() == null) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // the message below says what a server URL looks like
        }
        throw PackagerException.badInput("server URL '" + text + "' is not an http(s) URL: use e.g. "
                + "https://ota.example.com or http://192.168.1.10:8000");
    }

    private static void warnIfOthersCanRead(Path file, PrintWriter err) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                err.println("warning: " + file + " holds the admin key and other users can read it: chmod 600 "
                        + file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // no POSIX permissions to check here
        }
    }

    private static String firstOf(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
        }
        return null;
    }
}
