package dev.javia.ota.protocol.trust;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.security.PrivateKey;
import java.util.Base64;

/**
 * A signature by a publisher key: which key ({@link Ed25519Keys#keyId}) and the 64 bytes of Ed25519, in Base64.
 * The same shape is the {@code .sig} file beside a package, the {@code signature} part of an upload, the
 * {@code signature} of an offer and the signature of a rollback statement.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PublisherSignature(String keyId, String signature) {

    /** The longest Base64 a signature field may hold; an Ed25519 signature takes 88 characters. */
    static final int MAX_SIGNATURE_CHARS = 128;

    public static PublisherSignature sign(PrivateKey key, SignaturePurpose purpose, byte[] content) {
        byte[] signature = Ed25519Keys.sign(key, purpose.message(content));
        return new PublisherSignature(Ed25519Keys.keyId(Ed25519Keys.publicKeyOf(key)),
                Base64.getEncoder().encodeToString(signature));
    }
}
