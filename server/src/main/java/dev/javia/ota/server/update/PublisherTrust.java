package dev.javia.ota.server.update;

import dev.javia.ota.protocol.pkg.PackageTrust;
import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.PublisherSignature;
import dev.javia.ota.server.OtaProperties;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.List;

/**
 * The publisher keys this server trusts ({@code OTA_PUBLISHER_KEYS}) and whether an upload must be signed
 * ({@code OTA_REQUIRE_SIGNED_PACKAGES}): an upload's signature is verified against them, and with any of them a
 * rollback needs the publisher's signed statement. Checked before the server starts ({@link PublisherTrustCheck}).
 */
@Component
class PublisherTrust {

    private final PublisherKeys keys;
    private final boolean signedPackagesRequired;

    PublisherTrust(OtaProperties properties) {
        this.keys = keys(properties);
        this.signedPackagesRequired = properties.requireSignedPackages() == null ? !keys.isEmpty()
                : properties.requireSignedPackages();
    }

    /**
     * @throws Misconfigured when a key does not read, or signed packages are required without a key to verify them
     */
    static void check(OtaProperties properties) {
        keys(properties);
    }

    PublisherKeys keys() {
        return keys;
    }

    boolean hasKeys() {
        return !keys.isEmpty();
    }

    boolean signedPackagesRequired() {
        return signedPackagesRequired;
    }

    /** What the package inspector is to verify: nothing for an unsigned upload that may be unsigned. */
    PackageTrust forUpload(PublisherSignature signature, String what) {
        return signature == null && !signedPackagesRequired ? PackageTrust.none()
                : PackageTrust.of(keys, signature, what);
    }

    private static PublisherKeys keys(OtaProperties properties) {
        List<String> problems = new ArrayList<>();
        List<String> texts = properties.publisherKeys();
        PublisherKeys keys = PublisherKeys.none();
        for (int i = 0; i < texts.size(); i++) {
            try {
                PublisherKeys.parse(List.of(texts.get(i)));
            } catch (IllegalArgumentException e) {
                problems.add("OTA_PUBLISHER_KEYS entry " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (problems.isEmpty()) {
            keys = PublisherKeys.parse(texts);
        }
        if (problems.isEmpty() && keys.isEmpty() && Boolean.TRUE.equals(properties.requireSignedPackages())) {
            problems.add("OTA_REQUIRE_SIGNED_PACKAGES is true but OTA_PUBLISHER_KEYS names no key to verify a"
                    + " signature with: set OTA_PUBLISHER_KEYS to the .pub line(s) of the publisher keys"
                    + " (create_update.sh keygen writes them), or leave OTA_REQUIRE_SIGNED_PACKAGES unset");
        }
        if (!problems.isEmpty()) {
            throw new Misconfigured(problems);
        }
        return keys;
    }

    /** The server refuses to start: a publisher key does not read, or signing is required without keys. */
    static final class Misconfigured extends RuntimeException {

        private final List<String> problems;

        Misconfigured(List<String> problems) {
            super("The server cannot start with these publisher keys:\n  - " + String.join("\n  - ", problems));
            this.problems = List.copyOf(problems);
        }

        List<String> problems() {
            return problems;
        }
    }
}
