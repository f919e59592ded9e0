package dev.javia.ota.protocol.trust;

import java.security.PublicKey;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The publisher keys a verifier trusts: the server's {@code OTA_PUBLISHER_KEYS}, the keys pinned in an agent's
 * configuration, or the set a signed update taught the agent ({@link PublisherKeySet}). Several at once, so that a
 * key can be rotated: packages signed by any of them verify.
 */
public final class PublisherKeys {

    private static final PublisherKeys NONE = new PublisherKeys(Map.of());

    private final Map<String, PublicKey> byId;

    private PublisherKeys(Map<String, PublicKey> byId) {
        this.byId = byId;
    }

    public static PublisherKeys none() {
        return NONE;
    }

    /**
     * @param texts {@code ed25519:BASE64} each; blank entries are skipped
     * @throws IllegalArgumentException for an entry that is not a key, naming it
     */
    public static PublisherKeys parse(Collection<String> texts) {
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        if (texts != null) {
            for (String text : texts) {
                if (text != null && !text.isBlank()) {
                    PublicKey key = Ed25519Keys.publicKey(text);
                    keys.put(Ed25519Keys.keyId(key), key);
                }
            }
        }
        return keys.isEmpty() ? NONE : new PublisherKeys(Map.copyOf(keys));
    }

    public boolean isEmpty() {
        return byId.isEmpty();
    }

    public Set<String> ids() {
        return byId.keySet();
    }

    public boolean contains(String keyId) {
        return byId.containsKey(keyId);
    }

    /** {@code ed25519:BASE64} of each key, sorted, as a {@link PublisherKeySet} lists them. */
    public List<String> texts() {
        return byId.values().stream().map(Ed25519Keys::text).sorted().toList();
    }

    /**
     * @param what what was signed, for the message ("package v1.2.3")
     * @return the id of the key that signed
     * @throws UntrustedException when {@code signature} is null, names a key that is not here, is malformed or does
     *                            not verify
     */
    public String verify(SignaturePurpose purpose, byte[] content, PublisherSignature signature, String what) {
        if (signature == null || signature.keyId() == null || signature.signature() == null) {
            throw new UntrustedException(what + " is not signed, and publisher keys are configured (" + describe()
                    + "): sign it with create_update --sign-key");
        }
        PublicKey key = byId.get(signature.keyId());
        if (key == null) {
            throw new UntrustedException(what + " is signed by key " + printable(signature.keyId()) + ", which is not "
                    + "one of the trusted publisher keys (" + describe() + "): sign it with a trusted key, or add "
                    + "the key's .pub line to the trusted keys");
        }
        byte[] bytes;
        try {
            bytes = signature.signature().length() > PublisherSignature.MAX_SIGNATURE_CHARS ? null
                    : Base64.getDecoder().decode(signature.signature());
        } catch (IllegalArgumentException e) {
            bytes = null;
        }
        if (bytes == null || !Ed25519Keys.verify(key, purpose.message(content), bytes)) {
            throw new UntrustedException("the signature of " + what + " by key " + signature.keyId() + " does not "
                    + "verify: the content was changed after signing, or the signature belongs to something else");
        }
        return signature.keyId();
    }

    /** E.g. {@code keys 3f2a..., 9c01...}, or {@code none}. */
    public String describe() {
        return byId.isEmpty() ? "none" : "keys " + String.join(", ", byId.keySet());
    }

    private static String printable(String keyId) {
        String shown = keyId.length() > 32 ? keyId.substring(0, 32) + "..." : keyId;
        return "'" + shown.replaceAll("[^0-9A-Za-z._-]", "?") + "'";
    }
}
