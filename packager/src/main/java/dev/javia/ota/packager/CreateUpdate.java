package dev.javia.ota.packager;

import dev.javia.ota.protocol.api.UpdateCreated;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.api.UpdateView;
import dev.javia.ota.protocol.pkg.DebianPackageNames;
import dev.javia.ota.protocol.pkg.FileTrees;
import dev.javia.ota.protocol.pkg.InvalidPackageException;
import dev.javia.ota.protocol.pkg.PackageBuilder;
import dev.javia.ota.protocol.pkg.PackageInspector;
import dev.javia.ota.protocol.pkg.PackageLayout;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.PackageSignatures;
import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.pkg.PackageSource;
import dev.javia.ota.protocol.pkg.Sha256;
import dev.javia.ota.protocol.pkg.UpdateMetadata;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.PublisherKeySet;
import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.PublisherSignature;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/** {@code create_update}: build, check and publish an update in one command. */
@Command(name = "create_update",
        sortOptions = false,
        usageHelpWidth = 100,
        usageHelpAutoWidth = true,
        customSynopsis = {
                "create_update [OPTIONS] VERSION DESCRIPTION scheduled|urgent [SYSTEM_PACKAGES]",
                "       create_update [OPTIONS] --bump KIND [auto] DESCRIPTION scheduled|urgent [SYSTEM_PACKAGES]",
                "       create_update [OPTIONS] --package ZIP",
                "       create_update keygen|sign|rollout|device ...   (create_update COMMAND --help)"},
        description = {
                "",
                "Builds an update package from the application files (pi_client/), checks it the way the server "
                        + "and the devices will, and publishes it to the OTA server, which schedules it for every "
                        + "registered device (or the --target-devices).",
                "",
                "Arguments:",
                "  VERSION           vMAJOR.MINOR.PATCH, newer than every published version (e.g. v1.2.3);",
                "                    with --bump KIND (patch, minor or major), leave it out or write 'auto'",
                "  DESCRIPTION       what the update changes, in quotes",
                "  scheduled|urgent  scheduled: installed from 02:00 device-local time;",
                "                    urgent: installed once a device has been idle for an hour",
                "  SYSTEM_PACKAGES   apt packages the update needs, comma-separated",
                "                    (e.g. \"libopus0,libopus-dev\")",
                "",
                "Options:"},
        footer = {
                "",
                "Examples:",
                "  create_update v1.2.3 \"Bug fixes and performance improvements\" scheduled",
                "  create_update v1.2.4 \"Critical security patch\" urgent",
                "  create_update v1.3.0 \"Add new audio codec\" scheduled \"libopus0,libopus-dev\"",
                "  create_update --bump patch \"Fix the wake word timeout\" scheduled",
                "  create_update --output dist/ v1.3.1 \"Try the build\" scheduled",
                "",
                "Rollouts:",
                "  Without rollout options every targeted device is offered the update at once. With them:",
                "    create_update --phases 1,10%%,50%%,100%% --soak 2h --failure-threshold 5%% \\",
                "        --require-approval v1.4.0 \"New wake word\" scheduled",
                "  publishes v1.4.0 to one device, then 10%%, 50%% and all of the fleet, each phase running",
                "  2 h and advancing once enough devices installed it, pausing when 5%% fail; nothing starts",
                "  until another admin runs: javia-ota approve v1.4.0. javia-ota rollout v1.4.0 shows it.",
                "",
                "Agent releases (the OTA agent updates itself; no login to the Pis):",
                "  create_update --agent-jar pi-agent/target/pi-agent.jar --agent-version v0.2.0 \\",
                "      v1.4.1 \"Agent fix and wake word tweak\" scheduled",
                "      the app and the agent in one update: each Pi installs the agent first, then the app",
                "  create_update --agent-only --agent-jar pi-agent.jar --agent-version v0.2.1 \\",
                "      v1.4.2 \"Agent fix\" urgent",
                "      the agent alone (no pi_client/ needed); the Pis keep the app they run",
                "  --agent-jvm-options FILE and --agent-unit-dropin FILE ship the release's JVM flags and a",
                "  systemd drop-in for its unit. A device whose agent is older than agent releases is never",
                "  offered such an update (its update fails, saying so): install the agent's .deb on it once.",
                "",
                "Signing (publisher keys):",
                "  create_update keygen [--out DIR] [--name NAME]",
                "      makes NAME.key (private, 0600) and NAME.pub (the line for OTA_PUBLISHER_KEYS)",
                "  create_update --sign-key publisher.key v1.2.3 \"Bug fixes\" scheduled",
                "      signs the package and uploads update_v1.2.3.zip.sig with it (OTA_SIGN_KEY=FILE or",
                "      sign_key=FILE in the config file do the same)",
                "  create_update sign dist/update_v1.2.3.zip --sign-key publisher.key",
                "      signs a package built with --output; create_update --package ZIP then publishes it",
                "  create_update --sign-key old.key --publisher-keys old.pub,new.pub --key-serial 2 ...",
                "      rotates keys: devices that install it trust old and new from then on",
                "  create_update rollout rollback ID --to v1.3.2 --sign-key publisher.key [--reason TEXT]",
                "      rolls back with a signed statement (rollout COMMAND is javia-ota COMMAND)",
                "  create_update device reset-key UUID [--reason TEXT]",
                "      forgets a device's key (a re-imaged Pi) so that it can register again",
                "",
                "Server and key:",
                "  The server URL is --server, else $OTA_SERVER_URL, else server_url in the config file.",
                "  The admin key is $OTA_ADMIN_API_KEY, else admin_api_key in the config file (never an",
                "  option: it would end up in shell history). The config file is --config, else",
                "  $OTA_PACKAGER_CONFIG, else " + ServerSettings.DEFAULT_CONFIG + " (chmod 600):",
                "    server_url=https://ota.example.com",
                "    admin_api_key=...",
                "",
                "The package:",
                "  update_vX.Y.Z.zip holds pi_client/ (the source files and VERSION), with an agent release",
                "  javia_agent/ (pi-agent.jar, VERSION, jvm.options, javia-ota-agent.conf), and",
                "  update_metadata.json (type, description, system packages, and the size, SHA-256 and",
                "  mode of every file). The same files give the same bytes: created_at is",
                "  $SOURCE_DATE_EPOCH when set, else the newest file's modification time.",
                "  Never packaged (at any depth): .env .env.* .git __pycache__ *.pyc *.pyo .pytest_cache",
                "    .mypy_cache .ruff_cache .venv .DS_Store ._* Thumbs.db *~ *.swp *.swo .idea .vscode",
                "  Links that leave the source directory are an error; links inside it are packaged as",
                "  the files they point to.",
                "",
                "Exit codes:",
                "  0  published (with --output: built and checked)",
                "  2  fix the command line, the source directory or the settings",
                "  3  the server refused the update (version not newer, package refused or too large)",
                "  4  the server refused the admin key",
                "  5  the server could not be reached or failed: nothing was published, try again later"})
public final class CreateUpdate implements Callable<Integer> {

    static final Pattern UUID_SHAPE =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    @Parameters(arity = "0..4", paramLabel = "ARGUMENTS", hidden = true)
    private List<String> arguments = new ArrayList<>();

    @Option(names = "--source", paramLabel = "DIR",
            description = "the application files to package (default: pi_client/ in the current directory)")
    private String source;

    @Option(names = "--server", paramLabel = "URL",
            description = "the OTA server, e.g. https://ota.example.com (default: $OTA_SERVER_URL, then the config file)")
    private String server;

    @Option(names = "--config", paramLabel = "FILE",
            description = "where server_url and admin_api_key are read from (default: $OTA_PACKAGER_CONFIG, then "
                    + ServerSettings.DEFAULT_CONFIG + ")")
    private String config;

    @Option(names = "--target-devices", paramLabel = "UUID,...",
            description = "schedule only these registered devices, comma-separated (default: every device)")
    private String targetDevices;

    @Option(names = "--output", paramLabel = "FILE",
            description = "build and check only, and write the package to FILE (or into FILE if it is a directory); "
                    + "nothing is uploaded, and the server is asked nothing unless --bump needs the newest version")
    private String output;

    @Option(names = "--bump", paramLabel = "patch|minor|major",
            description = "take the next version after the newest on the server (v0.0.0 when there is none)")
    private Version.Bump bump;

    @Option(names = "--retries", paramLabel = "N", defaultValue = "3",
            description = "how often a broken upload is tried again (default: ${DEFAULT-VALUE})")
    private int retries;

    @Option(names = "--json", description = "print the server's answer (the update and its rollout) as JSON on "
            + "standard output, for scripts; with --output, what was built")
    private boolean json;

    @Option(names = "--sign-key", paramLabel = "FILE",
            description = "sign the package with this publisher key (the .key file of create_update keygen, mode "
                    + "0600) and write update_vX.Y.Z.zip.sig beside it (default: $" + ServerSettings.SIGN_KEY_VARIABLE
                    + ", then sign_key in the config file; none: unsigned)")
    private String signKey;

    @Option(names = "--publisher-keys", paramLabel = "FILE,...",
            description = "key rotation: the .pub files of every key devices are to trust once they installed this "
                    + "(signed) package; needs --key-serial")
    private String publisherKeys;

    @Option(names = "--key-serial", paramLabel = "N",
            description = "the key set's serial: 1 for the first, then one more than the last published (devices "
                    + "take only a higher one)")
    private Long keySerial;

    @Option(names = "--package", paramLabel = "ZIP",
            description = "publish this package built before with --output instead of building one; its .sig "
                    + "beside it goes along (leave VERSION, DESCRIPTION and the type out: they are in the package)")
    private String packageFile;

    @Option(names = "--agent-jar", paramLabel = "FILE",
            description = "the update carries this release of the OTA agent itself (its shaded jar, "
                    + "pi-agent/target/pi-agent.jar): devices install it before the app, and put their previous "
                    + "agent back by themselves when it does not check in")
    private String agentJar;

    @Option(names = "--agent-version", paramLabel = "vX.Y.Z",
            description = "the agent release's version; needed with --agent-jar unless the jar's manifest has an "
                    + "Implementation-Version of that form")
    private String agentVersion;

    @Option(names = "--agent-jvm-options", paramLabel = "FILE",
            description = "the agent release's JVM flags (java @argfile syntax, one per line, # comments), used "
                    + "instead of the device's default ones (/usr/lib/javia-agent/jvm.options)")
    private String agentJvmOptions;

    @Option(names = "--agent-unit-dropin", paramLabel = "FILE",
            description = "a systemd drop-in for the agent's unit, in force while this agent release runs "
                    + "([Unit] and [Service] settings; no [Install], no ExecStart)")
    private String agentUnitDropin;

    @Option(names = "--agent-only",
            description = "the update carries the agent release alone, no app files (no pi_client/ needed); "
                    + "devices keep the app they run")
    private boolean agentOnly;

    @Mixin
    private RolloutOptions rollout;

    @Option(names = {"-h", "--help"}, usageHelp = true, order = 99, description = "show this help and exit")
    private boolean help;

    @Spec
    private CommandSpec spec;

    private final PackagerEnvironment environment;

    CreateUpdate(PackagerEnvironment environment) {
        this.environment = environment;
    }

    public static void main(String[] args) {
        System.exit(commandLine(PackagerEnvironment.system()).execute(args));
    }

    /**
     * Runs the command in this process, as another program (or another module's test) would call it: with its own
     * environment variables and working directory, no terminal, and no wait between upload retries.
     */
    public static int run(Map<String, String> variables, Path workingDir, PrintWriter out, PrintWriter err,
            String... args) {
        PackagerEnvironment environment = new PackagerEnvironment(variables, workingDir,
                workingDir, false, duration -> { });
        CommandLine commandLine = commandLine(environment);
        commandLine.setOut(out);
        commandLine.setErr(err);
        return commandLine.execute(args);
    }

    /** The command with its error handling, ready for {@code execute}; tests set its out and err. */
    static CommandLine commandLine(PackagerEnvironment environment) {
        return commandLine(environment, Clock.systemUTC());
    }

    /**
     * The same, with the publisher's commands beside the build: keygen, sign, rollout (javia-ota's commands, for
     * the signed rollback) and device; {@code clock} dates rollback statements.
     */
    static CommandLine commandLine(PackagerEnvironment environment, Clock clock) {
        return new FirstWordCommands(environment, clock);
    }

    /**
     * create_update's own arguments are free text (a description may well be "sign" or "device"), so a publisher
     * command is recognised only as the first word; anything else is a build, parsed without the commands.
     */
    private static final class FirstWordCommands extends CommandLine {
        private final PackagerEnvironment environment;

        FirstWordCommands(PackagerEnvironment environment, Clock clock) {
            super(new CreateUpdate(environment));
            this.environment = environment;
            addSubcommand("keygen", new KeygenCommand(environment));
            addSubcommand("sign", new SignCommand(environment));
            CommandLine rollout = OperatorCommand.commandLine(environment, clock);
            rollout.getCommandSpec().name("rollout");
            addSubcommand("rollout", rollout);
            CommandLine device = new CommandLine(new DeviceCommand(environment));
            device.setUsageHelpWidth(100);
            device.getSubcommands().values().forEach(command -> command.getCommandSpec().usageMessage()
                    .sortOptions(false));
            addSubcommand("device", device);
            configure(this);
        }

        @Override
        public int execute(String... args) {
            if (args.length > 0 && getSubcommands().containsKey(args[0])) {
                return super.execute(args);
            }
            CommandLine build = configure(new CommandLine(new CreateUpdate(environment)));
            build.setOut(getOut());
            build.setErr(getErr());
            return build.execute(args);
        }
    }

    private static CommandLine configure(CommandLine commandLine) {
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setParameterExceptionHandler(usageErrors("create_update"));
        commandLine.setExecutionExceptionHandler((e, command, parseResult) -> {
            if (!(e instanceof PackagerException)) {
                throw e;
            }
            PrintWriter err = command.getErr();
            err.println("create_update: " + e.getMessage());
            err.flush();
            return ((PackagerException) e).exitCode();
        });
        return commandLine;
    }

    /** A command line picocli cannot parse: what is wrong, where the usage is, and exit code 2. */
    static CommandLine.IParameterExceptionHandler usageErrors(String command) {
        return (e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println(command + ": " + e.getMessage());
            err.println("Run " + command + " --help for the usage.");
            err.flush();
            return PackagerException.BAD_INPUT;
        };
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return run(out, err);
        } catch (PackagerException e) {
            err.println("create_update: " + e.getMessage());
            return e.exitCode();
        } finally {
            out.flush();
            err.flush();
        }
    }

    private int run(PrintWriter out, PrintWriter err) {
        if (packageFile != null) {
            refuseWithPackage();
        }
        UpdateRequest request = packageFile == null ? UpdateRequest.parse(arguments, bump != null) : null;
        List<String> targets = parseTargets(targetDevices);
        Map<String, String> rolloutFields = rollout.formFields();
        if (!targets.isEmpty() && rollout.filtersDevices()) {
            throw PackagerException.badInput("give either --target-devices or a device filter (--target-version, "
                    + "--target-status, --target-timezone, --target-metadata), not both");
        }
        if (retries < 0) {
            throw PackagerException.badInput("--retries must be 0 or more, not " + retries);
        }
        // the key is read and checked before anything is built: a bad key file should not cost a build
        PublisherKeyFiles.SigningKey signingKey = ServerSettings.signingKey(signKey, config, environment);
        PublisherKeySet keySet = keySet(signingKey, err);
        if (signingKey != null) {
            err.println("signing with publisher key " + signingKey.keyId() + " (" + signingKey.file() + ")");
        }
        if (packageFile != null) {
            return publishExisting(out, err, environment.resolve(packageFile), signingKey, targets, rolloutFields);
        }
        AgentFiles agent = agentFiles();
        Path sourceDir = agentOnly ? null : environment.resolve(source == null ? "pi_client" : source);
        PackageSource files = sourceDir == null ? null : scan(sourceDir);
        UpdateServer updateServer = null;
        Version version = request.version();
        if (output == null || bump != null) {
            updateServer = new UpdateServer(new ServerConnection(ServerSettings.resolve(server, config, environment,
                    err)), environment, err, retries);
            version = chooseVersion(request.version(), updateServer.newestUpdates(), err);
        }
        if (files != null && !files.skipped().isEmpty()) {
            err.println("left out (never packaged): " + String.join(", ", files.skipped()));
        }

        Path scratch = null;
        try {
            Path zip;
            if (output == null) {
                scratch = Files.createTempDirectory("create_update-");
                zip = scratch.resolve(PackageLayout.fileName(version));
            } else {
                Path target = environment.resolve(output);
                boolean directory = output.endsWith("/") || output.endsWith(java.io.File.separator)
                        || Files.isDirectory(target);
                zip = directory ? target.resolve(PackageLayout.fileName(version)) : target;
            }
            UpdateMetadata metadata = build(sourceDir, files, agent, version, request, keySet, zip);
            PublisherSignature signature = null;
            Path signatureFile = PublisherKeyFiles.signatureFile(zip);
            if (signingKey != null) {
                signature = signAndWrite(zip, signingKey, version);
            } else if (Files.deleteIfExists(signatureFile)) {
                // it signed an earlier build under this name; beside the new one it would only be refused later
                err.println("removed " + signatureFile + ": it signed an earlier build of " + zip.getFileName());
            }
            String sha256 = Sha256.of(zip);
            long size = Files.size(zip);
            err.println("built and checked " + zip.getFileName() + ": " + contents(metadata) + ", "
                    + UploadProgress.human(size) + (signature == null ? "" : ", signed"));
            if (updateServer == null || output != null) {
                if (!rolloutFields.isEmpty()) {
                    err.println("the rollout options are checked but not used: --output publishes nothing");
                }
                if (json) {
                    Map<String, Object> built = new LinkedHashMap<>();
                    built.put("version", version.toString());
                    built.put("sha256", sha256);
                    built.put("size_bytes", size);
                    built.put("file", zip.toString());
                    if (metadata.agent() != null) {
                        built.put("agent_version", metadata.agent().version());
                        built.put("app_included", metadata.includesApp());
                        built.put("package_format", metadata.formatVersion());
                    }
                    if (signature != null) {
                        built.put("signature_file", signatureFile.toString());
                        built.put("signed_by", signature.keyId());
                    }
                    if (keySet != null) {
                        built.put("publisher_keys", keySet);
                    }
                    out.println(ServerConnection.JSON.writeValueAsString(built));
                    return 0;
                }
                out.println("built " + version + " (not published)");
                printFacts(out, null, version.toString(), sha256, size);
                printAgent(out, metadata.agent() == null ? null : metadata.agent().version(), metadata.includesApp());
                out.println("  file     " + zip);
                if (signature != null) {
                    out.println("  signed   by " + signature.keyId() + " (" + signatureFile + ")");
                }
                return 0;
            }
            return publish(out, err, updateServer, zip, new UpdateServer.Publication(version.toString(),
                    request.description(), request.type().wire(), request.systemPackages(), targets, rolloutFields,
                    sha256, signature == null ? null : ServerConnection.JSON.writeValueAsString(signature)), size,
                    metadata.includesApp());
        } catch (IOException e) {
            throw PackagerException.badInput("could not build the package (" + e.getMessage() + "): check that the "
                    + "source files are readable and the output directory is writable");
        } finally {
            deleteQuietly(scratch);
        }
    }

    /**
     * {@code --package}: publishes a package built before (with {@code --output}), e.g. signed since on another
     * machine with {@code create_update.sh sign}. Its {@code .sig} beside it goes along; {@code --sign-key} signs it
     * here instead (and writes the {@code .sig}).
     */
    private int publishExisting(PrintWriter out, PrintWriter err, Path zip, PublisherKeyFiles.SigningKey signingKey,
                                List<String> targets, Map<String, String> rolloutFields) {
        if (!Files.isRegularFile(zip)) {
            throw PackagerException.badInput("--package: " + zip + " is not a file: build one with create_update "
                    + "--output dist/ VERSION \"DESCRIPTION\" scheduled");
        }
        UpdateMetadata metadata = inspect(zip);
        Version version = Version.parse(metadata.version());
        Path signatureFile = PublisherKeyFiles.signatureFile(zip);
        PublisherSignature signature;
        try {
            if (signingKey != null) {
                signature = signAndWrite(zip, signingKey, version);
            } else if (Files.exists(signatureFile)) {
                signature = PublisherKeyFiles.readSignature(signatureFile);
                err.println("sending the signature in " + signatureFile + " (key " + signature.keyId() + ")");
            } else {
                signature = null;
                err.println("note: no " + signatureFile.getFileName() + " beside the package: it goes unsigned (a "
                        + "server with publisher keys refuses it; sign it with create_update.sh sign " + zip
                        + " --sign-key FILE)");
            }
            // the signature is settled before the server is asked anything: a bad .sig is the operator's to fix
            UpdateServer updateServer = new UpdateServer(new ServerConnection(ServerSettings.resolve(server, config,
                    environment, err)), environment, err, retries);
            chooseVersion(version, updateServer.newestUpdates(), err);
            return publish(out, err, updateServer, zip, new UpdateServer.Publication(version.toString(),
                    metadata.description(), metadata.updateType().wire(), metadata.systemPackages(), targets,
                    rolloutFields, Sha256.of(zip), signature == null ? null
                    : ServerConnection.JSON.writeValueAsString(signature)), Files.size(zip), metadata.includesApp());
        } catch (IOException e) {
            throw PackagerException.badInput("could not read " + zip + " or write its signature (" + e.getMessage()
                    + ")");
        }
    }

    private void refuseWithPackage() {
        if (!arguments.isEmpty()) {
            throw PackagerException.badInput("--package publishes the package as it was built: its version, "
                    + "description, type and system packages come from its update_metadata.json; leave out "
                    + String.join(" ", arguments));
        }
        Map<String, Object> buildOptions = new LinkedHashMap<>();
        buildOptions.put("--source", source);
        buildOptions.put("--output", output);
        buildOptions.put("--bump", bump);
        buildOptions.put("--publisher-keys", publisherKeys);
        buildOptions.put("--key-serial", keySerial);
        buildOptions.put("--agent-jar", agentJar);
        buildOptions.put("--agent-version", agentVersion);
        buildOptions.put("--agent-jvm-options", agentJvmOptions);
        buildOptions.put("--agent-unit-dropin", agentUnitDropin);
        buildOptions.put("--agent-only", agentOnly ? true : null);
        buildOptions.forEach((name, value) -> {
            if (value != null) {
                throw PackagerException.badInput("--package publishes a package built before, and " + name
                        + " belongs to the build: " + (name.equals("--publisher-keys") || name.equals("--key-serial")
                        ? "the key set is inside the signed metadata, so build the package again with it"
                        : name.startsWith("--agent") ? "the agent release is inside the package; build it again "
                        + "with " + name + " to change it" : "leave it out"));
            }
        });
    }

    /**
     * {@code --publisher-keys} with {@code --key-serial}: the key set agents trust once they verified this package.
     * An agent takes a set only from a package whose signature it verified, so a set in an unsigned package would
     * only look like a rotation: refused.
     */
    private PublisherKeySet keySet(PublisherKeyFiles.SigningKey signingKey, PrintWriter err) {
        if (publisherKeys == null && keySerial == null) {
            return null;
        }
        if (publisherKeys == null || keySerial == null) {
            throw PackagerException.badInput(publisherKeys == null
                    ? "--key-serial needs --publisher-keys FILE[,FILE...]: the .pub files of every key devices are "
                    + "to trust from now on"
                    : "--publisher-keys needs --key-serial N: 1 for the first set, then one more than the last set "
                    + "published (agents take only a higher serial)");
        }
        if (signingKey == null) {
            throw PackagerException.badInput("--publisher-keys needs a signing key (--sign-key FILE or "
                    + ServerSettings.SIGN_KEY_VARIABLE + "): agents take a key set only from a package whose "
                    + "signature they verified");
        }
        PublisherKeySet set = PublisherKeyFiles.readKeySet(publisherKeys, keySerial, environment);
        String ids = String.join(", ", PublisherKeys.parse(set.keys()).ids());
        if (!set.keys().contains(signingKey.publicText())) {
            // agents refuse such a package (its own set would not trust the key that signed it, so it could not be
            // checked again while it is extracted): retire a key by signing with one the set keeps
            throw PackagerException.badInput("the key set (serial " + set.serial() + ": " + ids + ") leaves out the "
                    + "signing key " + signingKey.keyId() + ", and agents refuse a package whose own key set does not "
                    + "trust the key that signed it: to retire this key, sign with a key the set keeps; otherwise "
                    + "add " + signingKey.file().getFileName().toString().replaceAll("\\.key$", ".pub")
                    + " to --publisher-keys");
        } else {
            err.println("devices that install this package will trust the key set serial " + set.serial() + ": "
                    + ids);
        }
        return set;
    }

    private PublisherSignature signAndWrite(Path zip, PublisherKeyFiles.SigningKey signingKey, Version version)
            throws IOException {
        PublisherSignature signature = sign(zip, signingKey, version);
        PublisherKeyFiles.writeSignature(zip, signature);
        return signature;
    }

    /** Signs, then checks the signature the way the server and the agent will, with the signer's public key. */
    static PublisherSignature sign(Path zip, PublisherKeyFiles.SigningKey signingKey, Version version) {
        try {
            PublisherSignature signature = PackageSignatures.sign(zip, signingKey.privateKey(),
                    PackageLimits.defaults());
            PackageInspector.inspect(zip, PackageLimits.defaults(), PackageTrust.of(signingKey.trusted(), signature,
                    "package " + version));
            return signature;
        } catch (InvalidPackageException e) {
            throw PackagerException.badInput("cannot sign " + zip + ": " + e.getMessage());
        }
    }

    private int publish(PrintWriter out, PrintWriter err, UpdateServer updateServer, Path zip,
                        UpdateServer.Publication publication, long size, boolean appIncluded) {
        String version = publication.version();
        String sha256 = publication.sha256();
        Map<String, String> rolloutFields = publication.rolloutFields();
        OptionalLong limit = updateServer.maxPackageBytes();
        if (limit.isPresent() && size > limit.getAsLong()) {
            throw new PackagerException(PackagerException.REFUSED, "the package (" + UploadProgress.human(size)
                    + ") is larger than the server's limit of " + UploadProgress.human(limit.getAsLong())
                    + ": leave large files out of the update, or raise the server's OTA_MAX_PACKAGE_SIZE;"
                    + " nothing was uploaded");
        }
        err.println("publishing to " + updateServer.baseUrl());
        UploadProgress progress = new UploadProgress(err, environment.interactive(), System::nanoTime);
        ServerConnection.Answer<UpdateCreated> answer = updateServer.publish(zip, publication, progress);
        UpdateCreated created = answer.value();
        UpdateView update = created.update();
        if (!sha256.equals(update.sha256())) {
            throw new PackagerException(PackagerException.UNAVAILABLE, "the server stored " + version
                    + " with SHA-256 " + update.sha256() + " but the package built here has " + sha256
                    + ": something between here and the server changed the upload; check the update with GET "
                    + "/api/v1/updates/ before devices install it");
        }
        if (created.rollout() == null && !rolloutFields.isEmpty()) {
            err.println("warning: the server answered without a rollout: it is older than rollouts and ignored "
                    + String.join(", ", rolloutFields.keySet()) + "; " + update.version() + " is offered to "
                    + "every targeted device at once");
        }
        if (json) {
            out.println(answer.json());
            return 0;
        }
        out.println("published " + update.version() + " (" + update.updateType().wire() + "), scheduled for "
                + created.scheduledDevices() + (created.scheduledDevices() == 1 ? " device" : " devices"));
        printFacts(out, String.valueOf(update.id()), update.version(), update.sha256(), update.sizeBytes());
        printAgent(out, update.agentVersion(), appIncluded);
        out.println("  devices  " + created.scheduledDevices());
        if (publication.signature() != null) {
            out.println("  signed   by " + ServerConnection.JSON.readValue(publication.signature(),
                    PublisherSignature.class).keyId());
        }
        if (created.rollout() != null) {
            RolloutText.summary(created.rollout()).forEach(out::println);
        }
        return 0;
    }

    /** The agent release line of a package that carries one (nothing for an app-only package). */
    private static void printAgent(PrintWriter out, String agentVersion, boolean appIncluded) {
        if (agentVersion != null) {
            out.println("  agent    " + agentVersion + (appIncluded ? ", installed before the app"
                    : " alone (agent-only: the devices keep their app)"));
        }
    }

    /** What the package holds, for the "built and checked" line. */
    private static String contents(UpdateMetadata metadata) {
        String app = metadata.includesApp() ? metadata.files().size() + " files" : "no app files";
        return metadata.agent() == null ? app : app + " and agent " + metadata.agent().version() + " ("
                + metadata.agent().files().size() + " files)";
    }

    /**
     * The agent release the options describe, checked, or null; {@code --agent-only} needs one, and packages no
     * app files.
     */
    private AgentFiles agentFiles() {
        AgentFiles agent = AgentFiles.of(agentJar == null ? null : environment.resolve(agentJar), agentVersion,
                agentJvmOptions == null ? null : environment.resolve(agentJvmOptions),
                agentUnitDropin == null ? null : environment.resolve(agentUnitDropin));
        if (agentOnly && agent == null) {
            throw PackagerException.badInput("--agent-only needs the agent release: --agent-jar FILE "
                    + "(pi-agent/target/pi-agent.jar)");
        }
        if (agentOnly && source != null) {
            throw PackagerException.badInput("--agent-only packages no app files: leave --source out, or leave "
                    + "--agent-only out to ship the app and the agent together");
        }
        return agent;
    }

    private static void printFacts(PrintWriter out, String id, String version, String sha256, long size) {
        if (id != null) {
            out.println("  id       " + id);
        }
        out.println("  version  " + version);
        out.println("  sha256   " + sha256);
        out.println("  size     " + size + " bytes (" + UploadProgress.human(size) + ")");
    }

    private static PackageSource scan(Path sourceDir) {
        try {
            return PackageSource.scan(sourceDir);
        } catch (IllegalArgumentException e) {
            throw PackagerException.badInput(e.getMessage());
        } catch (IOException e) {
            throw PackagerException.badInput("cannot read the source directory " + sourceDir + " (" + e.getMessage()
                    + "): check its permissions");
        }
    }

    /**
     * Builds the package: the app from {@code sourceDir} (null: agent-only), with the agent release when there is
     * one, then checks it as the server and the agents will. Without an agent the package is the format-1 package
     * of before, byte for byte.
     */
    private UpdateMetadata build(Path sourceDir, PackageSource files, AgentFiles agent, Version version,
                                 UpdateRequest request, PublisherKeySet keySet, Path zip) throws IOException {
        try {
            PackageBuilder.buildFile(sourceDir, version, request.type(), request.description(),
                    request.systemPackages(), createdAt(files, agent), keySet, agent == null ? null
                            : new PackageBuilder.AgentSource(agent.version(), agent.jar(), agent.jvmOptions(),
                            agent.unitDropin()), zip);
        } catch (IllegalArgumentException e) {
            throw PackagerException.badInput(e.getMessage());
        }
        try {
            return PackageInspector.inspect(zip, PackageLimits.defaults());
        } catch (InvalidPackageException e) {
            throw PackagerException.badInput("the package built from " + (sourceDir == null ? "the agent release"
                    : sourceDir) + " fails its own check: " + e.getMessage());
        }
    }

    private static UpdateMetadata inspect(Path zip) {
        try {
            return PackageInspector.inspect(zip, PackageLimits.defaults());
        } catch (InvalidPackageException e) {
            throw PackagerException.badInput("--package: " + zip + " is not a package the server and the devices "
                    + "accept: " + e.getMessage());
        }
    }

    /**
     * Not the clock: two builds of the same files must give the same bytes. $SOURCE_DATE_EPOCH is the
     * reproducible-builds convention; otherwise the newest file's modification time stands for "when this content
     * was made".
     */
    private Instant createdAt(PackageSource files, AgentFiles agent) throws IOException {
        String epoch = environment.variable("SOURCE_DATE_EPOCH");
        if (epoch != null) {
            try {
                return Instant.ofEpochSecond(Long.parseLong(epoch));
            } catch (NumberFormatException e) {
                throw PackagerException.badInput("SOURCE_DATE_EPOCH must be seconds since 1970, not '" + epoch + "'");
            }
        }
        List<Path> packaged = new ArrayList<>();
        if (files != null) {
            files.files().forEach(file -> packaged.add(file.file()));
        }
        if (agent != null) {
            packaged.add(agent.jar());
            if (agent.jvmOptions() != null) {
                packaged.add(agent.jvmOptions());
            }
            if (agent.unitDropin() != null) {
                packaged.add(agent.unitDropin());
            }
        }
        Instant newest = Instant.EPOCH;
        for (Path file : packaged) {
            Instant modified = Files.getLastModifiedTime(file).toInstant();
            if (modified.isAfter(newest)) {
                newest = modified;
            }
        }
        return newest.truncatedTo(ChronoUnit.SECONDS);
    }

    private Version chooseVersion(Version requested, List<UpdateView> published, PrintWriter err) {
        Optional<Version> newest = published.stream()
                .map(view -> Version.tryParse(view.version()))
                .flatMap(Optional::stream)
                .max(Version::compareTo);
        if (bump != null) {
            Version base = newest.orElse(new Version(0, 0, 0));
            Version next = base.bump(bump);
            err.println("newest on the server: " + newest.map(Version::toString).orElse("none") + "; "
                    + bump.name().toLowerCase(Locale.ROOT) + " bump gives " + next);
            return next;
        }
        if (newest.isPresent() && !requested.isNewerThan(newest.get())) {
            Version next = newest.get().bump(Version.Bump.PATCH);
            String why = requested.equals(newest.get()) ? requested + " is already published"
                    : requested + " is older than " + newest.get() + ", the newest published (devices never go back)";
            throw new PackagerException(PackagerException.REFUSED, why + ": publish a newer version, e.g. " + next
                    + " (or use --bump patch)");
        }
        return requested;
    }

    private static List<String> parseTargets(String text) {
        if (text == null || text.isBlank()) {
            return List.of();
        }
        LinkedHashSet<String> uuids = new LinkedHashSet<>();
        for (String item : text.split(",")) {
            String uuid = item.strip();
            if (uuid.isEmpty()) {
                continue;
            }
            if (!UUID_SHAPE.matcher(uuid).matches()) {
                throw PackagerException.badInput("--target-devices: '" + uuid + "' is not a device UUID (e.g. "
                        + "0190f7a4-5b6c-7d8e-9f00-112233445566; see GET /api/v1/devices/)");
            }
            uuids.add(uuid.toLowerCase(Locale.ROOT));
        }
        return List.copyOf(uuids);
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try {
            FileTrees.delete(dir, false);
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }

    /** The positional arguments, checked: the seed's {@code VERSION "DESCRIPTION" TYPE ["pkg1,pkg2"]}. */
    record UpdateRequest(Version version, String description, UpdateType type, List<String> systemPackages) {

        static UpdateRequest parse(List<String> arguments, boolean bump) {
            List<String> rest = new ArrayList<>(arguments);
            Version version = null;
            if (bump) {
                if (!rest.isEmpty() && rest.get(0).equalsIgnoreCase("auto")) {
                    rest.remove(0);
                } else if (!rest.isEmpty() && Version.tryParse(rest.get(0)).isPresent()) {
                    throw PackagerException.badInput("give either a VERSION (" + rest.get(0) + ") or --bump, not "
                            + "both");
                }
            } else {
                if (rest.isEmpty()) {
                    throw PackagerException.badInput("missing VERSION: e.g. create_update v1.2.3 \"Bug fixes\" "
                            + "scheduled (or --bump patch instead of the version)");
                }
                String text = rest.remove(0);
                if (text.equalsIgnoreCase("auto")) {
                    throw PackagerException.badInput("VERSION 'auto' needs --bump patch|minor|major");
                }
                try {
                    version = Version.parse(text);
                } catch (IllegalArgumentException e) {
                    throw PackagerException.badInput(e.getMessage());
                }
            }
            if (rest.size() < 2) {
                throw PackagerException.badInput("missing " + (rest.isEmpty() ? "DESCRIPTION and " : "")
                        + "the update type: e.g. create_update v1.2.3 \"Bug fixes\" scheduled");
            }
            if (rest.size() > 3) {
                throw PackagerException.badInput("too many arguments: " + rest.subList(3, rest.size())
                        + " (put the description in quotes, and the system packages in one comma-separated argument)");
            }
            String description = rest.get(0).strip();
            if (description.isEmpty()) {
                throw PackagerException.badInput("the description is empty: say in a few words what this update "
                        + "changes");
            }
            if (description.length() > UpdateMetadata.MAX_DESCRIPTION_LENGTH) {
                throw PackagerException.badInput("the description is " + description.length() + " characters long; "
                        + "the server keeps at most " + UpdateMetadata.MAX_DESCRIPTION_LENGTH);
            }
            try {
                UpdateType type = UpdateType.parse(rest.get(1));
                List<String> packages = DebianPackageNames.parseList(rest.size() == 3 ? rest.get(2) : null);
                return new UpdateRequest(version, description, type, packages);
            } catch (IllegalArgumentException e) {
                throw PackagerException.badInput(e.getMessage());
            }
        }
    }
}
