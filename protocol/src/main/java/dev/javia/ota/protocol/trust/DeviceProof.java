package dev.javia.ota.protocol.trust;

import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;

/**
 * A device's proof that it holds the key bound to its uuid: its Ed25519 signature over a challenge the server made
 * for it ({@link SignaturePurpose#DEVICE_CHALLENGE}: the purpose's line, the uuid, a line break, the challenge).
 * The uuid is in the message, so a proof for one device is no proof for another.
 */
public final class DeviceProof {

    private DeviceProof() {
    }

    public static byte[] message(String deviceUuid, String challenge) {
        return SignaturePurpose.DEVICE_CHALLENGE.message((deviceUuid + "\n" + challenge)
                .getBytes(StandardCharsets.UTF_8));
    }

    /** Base64 of the signature. */
    public static String sign(PrivateKey deviceKey, String deviceUuid, String challenge) {
        return Base64.getEncoder().encodeToString(Ed25519Keys.sign(deviceKey, message(deviceUuid, challenge)));
    }

    /** Whether {@code signature} (Base64) is {@code deviceKey}'s over the challenge; false for anything malformed. */
    public static boolean verify(PublicKey deviceKey, String deviceUuid, String challenge, String signature) {
        if (signature == null || challenge == null || signature.length() > PublisherSignature.MAX_SIGNATURE_CHARS) {
            return false;
        }
        try {
            return Ed25519Keys.verify(deviceKey, message(deviceUuid, challenge), Base64.getDecoder().decode(signature));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
