package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.RolloutAction;
import dev.javia.ota.protocol.api.RolloutPage;
import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutView;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.RollbackStatement;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@code javia-ota}: the operator's command for rollouts once an update is published: list them, show one with its
 * phases, and act on it (approve, start, pause, resume, advance, cancel, retry-failed, rollback). The server decides
 * every transition; this command sends the operator's word and prints the rollout it answers, or its refusal.
 */
@Command(name = "javia-ota",
        addMethodSubcommands = false,
        sortOptions = false,
        usageHelpWidth = 100,
        usageHelpAutoWidth = true,
        synopsisSubcommandLabel = "COMMAND",
        description = {
                "",
                "Follows and steers the rollouts of published updates (create_update publishes them).",
                "ID|VERSION is a rollout's id, or a version (v1.2.3) for the newest rollout of it.",
                "",
                "Options (on every command):"},
        commandListHeading = "%nCommands:%n",
        footer = {
                "",
                "Examples:",
                "  javia-ota rollouts --state running",
                "  javia-ota rollout v1.4.0",
                "  javia-ota approve v1.4.0              (an admin other than the one who published it)",
                "  javia-ota start v1.4.0 --at 2026-12-03T02:00:00Z",
                "  javia-ota pause v1.4.0 --reason \"wake word misfires in the kitchen\"",
                "  javia-ota resume v1.4.0",
                "  javia-ota advance v1.4.0              (open the next phase without waiting for the soak)",
                "  javia-ota rollback v1.4.0 --to v1.3.2 --reason \"audio drops\"",
                "  javia-ota rollout v1.4.0 --json | jq .state",
                "",
                "Server and key:",
                "  As create_update: --server, else $OTA_SERVER_URL, else server_url in the config file;",
                "  the admin key from $OTA_ADMIN_API_KEY, else admin_api_key in the config file",
                "  (" + ServerSettings.DEFAULT_CONFIG + ", chmod 600).",
                "",
                "Progress bars are drawn on a terminal; in a pipe, a log or with NO_COLOR set the same",
                "figures are printed without them.",
                "",
                "Exit codes:",
                "  0  done",
                "  2  fix the command line or the settings (nothing was sent)",
                "  3  the server refused: the transition is not allowed now (409), no such rollout (404),",
                "     not allowed for this key (403, e.g. approving your own), or a bad value (400);",
                "     its explanation is printed",
                "  4  the server refused the admin key (401)",
                "  5  the server could not be reached or failed (5xx): nothing changed that you asked for",
                "     unless javia-ota rollout shows it; try again"})
public final class OperatorCommand implements Callable<Integer> {

    private static final int PAGE_SIZE = 20;
    /** The commands in the order the help lists them: looking first, then the actions as a rollout meets them. */
    private static final List<String> COMMANDS = List.of("rollouts", "rollout", "approve", "start", "pause", "resume",
            "advance", "cancel", "retry-failed", "rollback");

    @Option(names = "--server", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "the OTA server, e.g. https://ota.example.com (default: $OTA_SERVER_URL, then the config "
                    + "file)")
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
    private final Clock clock;

    OperatorCommand(PackagerEnvironment environment, Clock clock) {
        this.environment = environment;
        this.clock = clock;
    }

    public static void main(String[] args) {
        System.exit(commandLine(PackagerEnvironment.system(), Clock.systemUTC()).execute(args));
    }

    /** The command with its error handling, ready for {@code execute}; tests set its out and err. */
    static CommandLine commandLine(PackagerEnvironment environment, Clock clock) {
        CommandLine commandLine = new CommandLine(new OperatorCommand(environment, clock));
        Map<String, Method> methods = new HashMap<>();
        for (Method method : CommandLine.getCommandMethods(OperatorCommand.class, null)) {
            methods.put(method.getAnnotation(Command.class).name(), method);
        }
        for (String name : COMMANDS) {
            CommandLine command = new CommandLine(methods.get(name));
            command.getCommandSpec().usageMessage().sortOptions(false);
            commandLine.addSubcommand(name, command);
        }
        commandLine.setUsageHelpWidth(100);
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setParameterExceptionHandler(CreateUpdate.usageErrors("javia-ota"));
        commandLine.setExecutionExceptionHandler((e, command, parseResult) -> {
            if (!(e instanceof PackagerException)) {
                throw e;
            }
            PrintWriter err = command.getErr();
            err.println("javia-ota: " + e.getMessage());
            err.flush();
            return ((PackagerException) e).exitCode();
        });
        return commandLine;
    }

    /** No command given: say which there are. */
    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("javia-ota: name a command, e.g. javia-ota rollouts");
        spec.commandLine().usage(err);
        return PackagerException.BAD_INPUT;
    }

    @Command(name = "rollouts", description = "List the rollouts, newest first.")
    int rollouts(
            @Option(names = "--state", paramLabel = "STATE",
                    description = "only rollouts in this state: awaiting_approval, scheduled, running, paused, "
                            + "cancelled or finished") String state,
            @Option(names = "--version", paramLabel = "VERSION",
                    description = "only rollouts of this version (e.g. v1.2.3)") String version,
            @Option(names = "--page", paramLabel = "N", defaultValue = "0",
                    description = "which page, from 0 (default: ${DEFAULT-VALUE})") int page) {
        RolloutState wanted = null;
        if (state != null) {
            try {
                wanted = RolloutState.parse(state);
            } catch (IllegalArgumentException e) {
                throw PackagerException.badInput("--state: " + e.getMessage());
            }
        }
        Version of = version == null ? null : version("--version", version);
        if (page < 0) {
            throw PackagerException.badInput("--page counts from 0, not " + page);
        }
        ServerConnection.Answer<RolloutPage> answer = rollouts().list(wanted, of, page, PAGE_SIZE);
        PrintWriter out = out();
        if (json) {
            out.println(answer.json());
            return 0;
        }
        RolloutPage found = answer.value();
        if (found.rollouts().isEmpty()) {
            out.println(page > 0 && found.totalElements() > 0 ? "no rollouts on page " + page + " (there are "
                    + found.totalPages() + " pages)" : "no rollouts" + (wanted != null || of != null ? " match" : ""));
            return 0;
        }
        RolloutText.table(found.rollouts()).forEach(out::println);
        if (found.totalPages() > page + 1) {
            out.println("page " + page + " of " + found.totalPages() + " pages (" + found.totalElements()
                    + " rollouts): --page " + (page + 1) + " for older ones");
        }
        return 0;
    }

    @Command(name = "rollout", description = "Show one rollout: its state, what happens next, its rules and phases.")
    int rollout(@Parameters(paramLabel = "ID|VERSION", description = "the rollout's id, or a version") String ref) {
        Rollouts rollouts = rollouts();
        return print(rollouts.get(resolve(rollouts, ref, err())), null);
    }

    @Command(name = "approve",
            description = "Approve a rollout that waits for a second admin; it starts at its start time.")
    int approve(@Parameters(paramLabel = "ID|VERSION", description = "the rollout's id, or a version") String ref) {
        return act(ref, "approve", RolloutAction.NONE, "approved");
    }

    @Command(name = "start", description = "Start a scheduled rollout now, or at --at.")
    int start(@Parameters(paramLabel = "ID|VERSION", description = "the rollout's id, or a version") String ref,
              @Option(names = "--at", paramLabel = "TIME",
                      description = "when, ISO-8601 (e.g. 2026-12-03T02:00:00Z; default: now)") String at) {
        Instant when = at == null ? null : Instant.parse(RolloutOptions.checkInstant("--at", at));
        return act(ref, "start", new RolloutAction(null, when, null), "started");
    }

    @Command(name = "pause", description = "Pause a rollout: nothing new starts; devices already installing finish.")
    int pause(@Parameters(paramLabel = "ID|VERSION", description = "the rollout's id, or a version") String ref,
              @Option(names = "--reason", paramLabel = "TEXT", description = "why, kept with the rollout")
              String reason) {
        return act(ref, "pause", new RolloutAction(reason, null, null), "paused");
    }

    @Command(name = "resume", description = "Resume a paused rollout; its failure count starts afresh.")
    int resume(@Parameters(paramLabel = "ID|VERSION", description = "the rollout's id, or a version") String ref) {
        return act(ref, "resume", RolloutAction.NONE, "resumed");
    }

    @Command(name = "advance", description = "Open the next phase now, without waiting for the soak and thresholds.")
    int advance(@Parameters(paramLabel = "ID|VERSION", description = "the rollout's id, or a version") String ref) {
        return act(ref, "advance", RolloutAction.NONE, "advanced");
    }

    @Command(name = "cancel",
            description = "Cancel a rollout for good: no device is offered it any more; installed ones keep it.")
    int cancel(@Parameters(paramLabel = "ID|VERSION", description = "the rollout's id, or a version") String ref,
               @Option(names = "--reason", paramLabel = "TEXT", description = "why, kept with the rollout")
               String reason) {
        return act(ref, "cancel", new RolloutAction(reason, null, null), "cancelled");
    }

    @Command(name = "retry-failed", description = "Offer the update again to the devices where it failed.")
    int retryFailed(@Parameters(paramLabel = "ID|VERSION", description = "the rollout's id, or a version")
                    String ref) {
        return act(ref, "retry-failed", RolloutAction.NONE, "retried the failed devices of");
    }

    @Command(name = "rollback",
            description = {"Take the devices that installed this rollout's version back to an older one: a new "
                    + "rollback rollout, which this prints.",
                    "With a signing key (--sign-key, $" + ServerSettings.SIGN_KEY_VARIABLE + " or sign_key in the "
                            + "config file) it sends the publisher's signed rollback statement, which a server and "
                            + "devices with publisher keys require: devices never go back a version without it. "
                            + "The statement names the rollout, --to and the rollout's version, so --to is then "
                            + "required."})
    int rollback(@Parameters(paramLabel = "ID|VERSION", description = "the rollout's id, or a version") String ref,
                 @Option(names = "--to", paramLabel = "VERSION",
                         description = "the published version to go back to (default: the newest below it; "
                                 + "required when signing)")
                 String to,
                 @Option(names = "--reason", paramLabel = "TEXT", description = "why, kept with both rollouts")
                 String reason,
                 @Option(names = "--sign-key", paramLabel = "FILE",
                         description = "sign the rollback statement with this publisher key (the .key file of "
                                 + "create_update keygen)")
                 String signKey) {
        Version target = to == null ? null : version("--to", to);
        PublisherKeyFiles.SigningKey key = ServerSettings.signingKey(signKey, config, environment);
        if (key == null) {
            return act(ref, "rollback", new RolloutAction(reason, null, target == null ? null : target.toString()),
                    "rolling back with");
        }
        if (target == null) {
            throw PackagerException.badInput("a signed rollback needs --to VERSION: the statement names the version "
                    + "devices go back to, and the server checks it against the one it rolls back to (javia-ota "
                    + "rollouts, or GET /api/v1/updates/, lists the published versions)");
        }
        Rollouts rollouts = rollouts();
        UUID id = resolve(rollouts, ref, err());
        RolloutView rollout = rollouts.get(id).value();
        Version replaced = version("the rollout's version", rollout.version());
        if (!replaced.isNewerThan(target)) {
            throw PackagerException.badInput("--to " + target + " is not older than " + replaced + ", the version of "
                    + "rollout " + id + ": a rollback goes back to an older version");
        }
        RollbackStatement statement = RollbackStatement.of(id, target, List.of(replaced), clock.instant());
        RollbackStatement.Signed signed = statement.sign(key.privateKey());
        err().println("signed rollback statement " + statement.statementId() + " with publisher key " + key.keyId()
                + ": rollout " + id + ", " + replaced + " -> " + target);
        return print(rollouts.act(id, "rollback", new Rollouts.SignedRollback(reason, target.toString(), signed)),
                "rolling back with");
    }

    private int act(String ref, String action, RolloutAction body, String done) {
        Rollouts rollouts = rollouts();
        UUID id = resolve(rollouts, ref, err());
        return print(rollouts.act(id, action, body), done);
    }

    private int print(ServerConnection.Answer<RolloutView> answer, String done) {
        PrintWriter out = out();
        if (json) {
            out.println(answer.json());
            return 0;
        }
        if (done != null) {
            RolloutView rollout = answer.value();
            out.println(done + " rollout " + rollout.id() + (rollout.rollbackOf() == null ? " of "
                    : ", which takes the devices back to ") + rollout.version());
        }
        boolean bars = environment.interactive() && environment.variable("NO_COLOR") == null;
        RolloutText.detail(answer.value(), bars, clock.instant()).forEach(out::println);
        return 0;
    }

    /** A version means its newest rollout; anything else must be a rollout's id. */
    private static UUID resolve(Rollouts rollouts, String ref, PrintWriter err) {
        String text = ref.strip();
        Optional<Version> version = Version.tryParse(text);
        if (version.isPresent()) {
            return rollouts.newestOf(version.get(), err);
        }
        if (CreateUpdate.UUID_SHAPE.matcher(text).matches()) {
            return UUID.fromString(text.toLowerCase(Locale.ROOT));
        }
        throw PackagerException.badInput("'" + text + "' is neither a rollout id (a UUID: javia-ota rollouts lists "
                + "them) nor a version (v1.2.3)");
    }

    private static Version version(String option, String text) {
        try {
            return Version.parse(text.strip());
        } catch (IllegalArgumentException e) {
            throw PackagerException.badInput(option + ": " + e.getMessage());
        }
    }

    private Rollouts rollouts() {
        return new Rollouts(new ServerConnection(ServerSettings.resolve(server, config, environment, err())));
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }

    private PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
