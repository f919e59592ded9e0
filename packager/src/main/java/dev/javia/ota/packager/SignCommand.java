package dev.javia.ota.packager;

import dev.javia.ota.protocol.pkg.InvalidPackageException;
import dev.javia.ota.protocol.pkg.PackageInspector;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.protocol.pkg.UpdateMetadata;
import dev.javia.ota.protocol.pkg.Version;
import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.PublisherSignature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code create_update sign ZIP}: signs a package built before (with {@code --output}), e.g. on the machine that
 * keeps the key offline; {@code create_update --package ZIP} then publishes it with its {@code .sig}.
 */
@Command(name = "sign",
        sortOptions = false,
        usageHelpWidth = 100,
        usageHelpAutoWidth = true,
        description = {
                "",
                "Signs a package built before and writes ZIP.sig beside it (replacing an older one). The package is "
                        + "checked whole first, and the signature is checked as the server and the devices will.",
                "",
                "Options:"},
        footer = {
                "",
                "Examples:",
                "  create_update --output dist/ v1.2.3 \"Bug fixes\" scheduled     (on the build machine)",
                "  create_update sign dist/update_v1.2.3.zip --sign-key publisher.key   (where the key is)",
                "  create_update --package dist/update_v1.2.3.zip                  (publishes it with its .sig)"})
final class SignCommand implements Callable<Integer> {

    @Parameters(paramLabel = "ZIP", description = "the package, e.g. dist/update_v1.2.3.zip")
    private String zip;

    @Option(names = "--sign-key", paramLabel = "FILE",
            description = "the publisher's private key, the .key file of create_update keygen (default: $"
                    + ServerSettings.SIGN_KEY_VARIABLE + ", then sign_key in the config file)")
    private String signKey;

    @Option(names = "--config", paramLabel = "FILE",
            description = "the config file sign_key may be read from (default: $OTA_PACKAGER_CONFIG, then "
                    + ServerSettings.DEFAULT_CONFIG + ")")
    private String config;

    @Option(names = {"-h", "--help"}, usageHelp = true, order = 99, description = "show this help and exit")
    private boolean help;

    @Spec
    private CommandSpec spec;

    private final PackagerEnvironment environment;

    SignCommand(PackagerEnvironment environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() {
        PublisherKeyFiles.SigningKey key = ServerSettings.signingKey(signKey, config, environment);
        if (key == null) {
            throw PackagerException.badInput("sign needs a key: --sign-key FILE (the .key file of create_update "
                    + "keygen), or " + ServerSettings.SIGN_KEY_VARIABLE + "=FILE");
        }
        Path file = environment.resolve(zip);
        if (!Files.isRegularFile(file)) {
            throw PackagerException.badInput(file + " is not a file: name a package built with create_update "
                    + "--output");
        }
        UpdateMetadata metadata;
        try {
            metadata = PackageInspector.inspect(file, PackageLimits.defaults());
        } catch (InvalidPackageException e) {
            throw PackagerException.badInput(file + " is not a package the server and the devices accept, so it "
                    + "is not signed: " + e.getMessage());
        }
        Version version = Version.parse(metadata.version());
        PublisherSignature signature = CreateUpdate.sign(file, key, version);
        Path written;
        try {
            written = PublisherKeyFiles.writeSignature(file, signature);
        } catch (IOException e) {
            throw PackagerException.badInput("cannot write " + PublisherKeyFiles.signatureFile(file) + " ("
                    + e.getMessage() + "): check that the package's directory is writable");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("signed " + file.getFileName() + " (" + version + ") with publisher key " + signature.keyId());
        out.println("  signature  " + written);
        if (metadata.publisherKeys() != null) {
            PublisherKeys set = PublisherKeys.parse(metadata.publisherKeys().keys());
            out.println("  key set    serial " + metadata.publisherKeys().serial() + ": " + String.join(", ",
                    set.ids()));
            if (!set.contains(signature.keyId())) {
                spec.commandLine().getErr().println("warning: the package's key set leaves out the signing key "
                        + signature.keyId() + ": devices that install it refuse every later package this key signs");
            }
        }
        out.println("  publish    create_update --package " + file);
        out.flush();
        return 0;
    }
}
