package dev.javia.ota.protocol.pkg;

import dev.javia.ota.protocol.trust.PublisherKeys;
import dev.javia.ota.protocol.trust.PublisherSignature;
import dev.javia.ota.protocol.trust.SignaturePurpose;
import dev.javia.ota.protocol.trust.UntrustedException;

import java.nio.charset.StandardCharsets;

/**
 * Whether a package's {@code update_metadata.json} is the publisher's: its SHA-256, signed by one of {@code keys}
 * ({@link SignaturePurpose#PACKAGE}). The manifest in it lists every file's size and SHA-256, and a reader refuses
 * any file that differs from it or is not in it, so a verified signature covers every byte that gets installed;
 * and the version is in it, so an old package cannot pass for a new version.
 *
 * <p>With no keys nothing is required, as before signatures existed: the package is trusted by the checksum its
 * server gave. Once there are keys, an unsigned package is refused.
 *
 * @param keys      the trusted publisher keys; empty for none
 * @param signature the package's detached signature; null for none
 * @param what      the package, for messages ("package v1.2.3")
 */
public record PackageTrust(PublisherKeys keys, PublisherSignature signature, String what) {

    private static final PackageTrust NONE = new PackageTrust(PublisherKeys.none(), null, "the package");

    public static PackageTrust none() {
        return NONE;
    }

    public static PackageTrust of(PublisherKeys keys, PublisherSignature signature, String what) {
        return new PackageTrust(keys == null ? PublisherKeys.none() : keys, signature, what);
    }

    /** The message a package signature signs, for a package whose metadata has this SHA-256. */
    public static byte[] signedContent(String metadataSha256) {
        return metadataSha256.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * @return the id of the key that signed, or null when no keys are configured
     * @throws InvalidPackageException (caused by an {@link UntrustedException}) when keys are configured and the
     *                                 signature is missing, by another key or does not verify
     */
    String check(String metadataSha256) {
        if (keys.isEmpty()) {
            return null;
        }
        try {
            return keys.verify(SignaturePurpose.PACKAGE, signedContent(metadataSha256), signature, what);
        } catch (UntrustedException e) {
            throw new InvalidPackageException(e.getMessage(), e);
        }
    }
}
