package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.ApiPaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code create_update device}: the operator's calls on one device; today, forgetting its key. */
@Command(name = "device",
        sortOptions = false,
        usageHelpWidth = 100,
        usageHelpAutoWidth = true,
        synopsisSubcommandLabel = "COMMAND",
        description = {"", "The operator's calls on one registered device.", "", "Options (on every command):"},
        commandListHeading = "%nCommands:%n",
        footer = {
                "",
                "Examples:",
                "  create_update device reset-key 0190f7a4-5b6c-7d8e-9f00-112233445566 --reason \"SD card replaced\"",
                "",
                "Exit codes: 0 done; 2 fix the command line or the settings; 3 the server refused (no such device:",
                "404); 4 the server refused the admin key; 5 the server could not be reached or failed"})
final class DeviceCommand implements Callable<Integer> {

    @Option(names = "--server", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "the OTA server (default: $OTA_SERVER_URL, then the config file)")
    private String server;

    @Option(names = "--config", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "where server_url and admin_api_key are read from (default: $OTA_PACKAGER_CONFIG, then "
                    + ServerSettings.DEFAULT_CONFIG + ")")
    private String config;

    @Option(names = "--json", scope = ScopeType.INHERIT,
            description = "print the server's answer as JSON on standard output, for scripts")
    private boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, scope = ScopeType.INHERIT,
            description = "show this help and exit")
    private boolean help;

    @Spec
    private CommandSpec spec;

    private final PackagerEnvironment environment;

    DeviceCommand(PackagerEnvironment environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("create_update device: name a command, e.g. create_update device reset-key UUID");
        spec.commandLine().usage(err);
        return PackagerException.BAD_INPUT;
    }

    @Command(name = "reset-key",
            description = {
                    "Forget the key bound to a device (a lost or replaced SD card, a re-imaged Pi) and revoke its "
                            + "token. The device then registers again with the enrollment key, as a new one "
                            + "would, and binds the key it has. Audit-logged as device.key_reset.",
                    "Only for a device you know was re-installed: until it registers, anyone holding the "
                            + "enrollment key and its uuid can take its place."})
    int resetKey(@Parameters(paramLabel = "UUID", description = "the device's uuid (GET /api/v1/devices/ lists them)")
                 String uuid,
                 @Option(names = "--reason", paramLabel = "TEXT", description = "why, kept in the audit log")
                 String reason) {
        String device = uuid.strip();
        if (!CreateUpdate.UUID_SHAPE.matcher(device).matches()) {
            throw PackagerException.badInput("'" + device + "' is not a device uuid (e.g. "
                    + "0190f7a4-5b6c-7d8e-9f00-112233445566; GET /api/v1/devices/ lists them)");
        }
        device = device.toLowerCase(Locale.ROOT);
        ServerConnection connection = new ServerConnection(ServerSettings.resolve(server, config, environment,
                spec.commandLine().getErr()));
        Map<String, String> body = new LinkedHashMap<>();
        if (reason != null && !reason.isBlank()) {
            body.put("reason", reason.strip());
        }
        HttpRequest request = connection.request(ApiPaths.resetDeviceKey(device))
                .timeout(ServerConnection.CALL_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(ServerConnection.JSON.writeValueAsString(body)))
                .build();
        HttpResponse<String> response = connection.send(request);
        int status = response.statusCode();
        if (status == 401) {
            throw connection.keyRefused(response);
        }
        if (status == 403) {
            throw new PackagerException(PackagerException.KEY_REFUSED, "the key may not reset device keys ("
                    + ServerConnection.detail(response) + "): that needs an admin key");
        }
        if (status == 404) {
            throw new PackagerException(PackagerException.REFUSED, "the server refused to reset the key of " + device
                    + " (404): " + ServerConnection.detail(response) + " (GET /api/v1/devices/ lists the devices; a "
                    + "server older than device keys has no " + ApiPaths.resetDeviceKey(device) + ")");
        }
        if (status >= 400 && status < 500) {
            throw new PackagerException(PackagerException.REFUSED, "the server refused to reset the key of " + device
                    + " (" + status + "): " + ServerConnection.detail(response));
        }
        if (status >= 300) {
            throw connection.failed(response);
        }
        PrintWriter out = spec.commandLine().getOut();
        String answer = response.body() == null ? "" : response.body().strip();
        if (json) {
            out.println(answer.isEmpty() ? "{}" : answer);
        } else {
            out.println("reset the key of device " + device + ": its token is revoked; at its next start it "
                    + "registers with the enrollment key and binds its key again");
            if (!answer.isEmpty()) {
                out.println("  server   " + answer);
            }
        }
        out.flush();
        return 0;
    }
}
