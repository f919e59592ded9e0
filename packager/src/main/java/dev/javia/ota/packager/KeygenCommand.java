package dev.javia.ota.packager;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code create_update keygen}: makes the publisher's Ed25519 key pair, and says where each half goes. */
@Command(name = "keygen",
        sortOptions = false,
        usageHelpWidth = 100,
        usageHelpAutoWidth = true,
        description = {
                "",
                "Makes a publisher key pair: NAME.key, the private key that signs packages and rollback statements "
                        + "(PKCS#8 PEM, mode 0600 from the moment it exists), and NAME.pub, its public line "
                        + "(ed25519:BASE64) that the server and the devices trust. Never overwrites a file.",
                "",
                "Options:"},
        footer = {
                "",
                "Then:",
                "  1. the server:      OTA_PUBLISHER_KEYS=<the .pub line> (comma-separate several); from then on",
                "                      it refuses unsigned packages and rollbacks without a signed statement",
                "  2. every device:    the same line in OTA_PUBLISHER_KEYS of the agent's .env (devices set up",
                "                      before learn a new key from a signed update: --publisher-keys)",
                "  3. publish signed:  create_update --sign-key NAME.key v1.2.3 \"...\" scheduled",
                "                      (or OTA_SIGN_KEY=FILE, or sign_key=FILE in the config file)",
                "  4. keep NAME.key offline, with a backup: whoever holds it can run code on every device",
                "",
                "Examples:",
                "  create_update keygen",
                "  create_update keygen --out ~/keys --name publisher-2026"})
final class KeygenCommand implements Callable<Integer> {

    @Option(names = "--out", paramLabel = "DIR",
            description = "the directory for the two files (default: the current directory; made with mode 0700 "
                    + "when missing)")
    private String out;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "publisher",
            description = "the files' name: NAME.key and NAME.pub (default: ${DEFAULT-VALUE})")
    private String name;

    @Option(names = {"-h", "--help"}, usageHelp = true, order = 99, description = "show this help and exit")
    private boolean help;

    @Spec
    private CommandSpec spec;

    private final PackagerEnvironment environment;

    KeygenCommand(PackagerEnvironment environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() {
        Path dir = environment.resolve(out == null ? "." : out);
        PublisherKeyFiles.KeyPairFiles files = PublisherKeyFiles.generate(dir, name);
        PrintWriter print = spec.commandLine().getOut();
        print.println("made publisher key " + files.keyId());
        print.println("  private  " + files.privateFile() + "  (mode 0600: keep it offline, with a backup)");
        print.println("  public   " + files.publicFile());
        print.println("  " + files.publicText());
        print.println();
        print.println("Next:");
        print.println("  1. the server trusts it: add the line above to its OTA_PUBLISHER_KEYS (comma-separated)");
        print.println("     and restart it; from then on it refuses unsigned packages");
        print.println("  2. every device trusts it: the same line in OTA_PUBLISHER_KEYS of the agent's .env");
        print.println("     (devices that trust another key already learn this one from an update signed by");
        print.println("     that key: create_update --publisher-keys ... --key-serial N)");
        print.println("  3. publish signed: create_update --sign-key " + files.privateFile()
                + " VERSION \"DESCRIPTION\" scheduled");
        print.println("     (or OTA_SIGN_KEY=" + files.privateFile() + ", or sign_key=... in the config file)");
        print.println("  4. keep " + files.privateFile().getFileName() + " offline and backed up: whoever holds it "
                + "can run code on every device,");
        print.println("     and without it no device takes a new package");
        print.flush();
        return 0;
    }
}
