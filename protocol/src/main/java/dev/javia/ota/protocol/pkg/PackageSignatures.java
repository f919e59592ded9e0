package dev.javia.ota.protocol.pkg;

import dev.javia.ota.protocol.trust.PublisherSignature;
import dev.javia.ota.protocol.trust.SignaturePurpose;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;

/** Signing a package: the publisher's Ed25519 signature over the SHA-256 of its {@code update_metadata.json}. */
public final class PackageSignatures {

    private PackageSignatures() {
    }

    /**
     * Signs the package at {@code zip} after checking it whole (a package is never signed unread).
     *
     * @throws InvalidPackageException when the package is refused
     */
    public static PublisherSignature sign(Path zip, PrivateKey key, PackageLimits limits) {
        return PublisherSignature.sign(key, SignaturePurpose.PACKAGE,
                PackageTrust.signedContent(metadataSha256(zip, limits)));
    }

    /** The SHA-256 of the package's {@code update_metadata.json}, after checking the package whole. */
    public static String metadataSha256(Path zip, PackageLimits limits) {
        try (PackageReader reader = PackageReader.open(zip, limits)) {
            reader.readFiles((entry, content) -> content.transferTo(java.io.OutputStream.nullOutputStream()));
            return reader.metadataSha256();
        } catch (IOException e) {
            throw new InvalidPackageException("could not read the package '" + zip + "' (" + e.getMessage()
                    + "): check the file, or build it again with create_update", e);
        }
    }
}
