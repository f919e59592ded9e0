package dev.javia.ota.protocol.trust;

import dev.javia.ota.protocol.pkg.Sha256;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Ed25519 as this project writes it, with the JDK's own implementation (Java 15 and later; no dependency).
 *
 * <ul>
 *   <li>A public key is one line of text: {@code ed25519:} and the standard Base64 of its 32 raw bytes, e.g. in
 *       {@code OTA_PUBLISHER_KEYS} or a {@code .pub} file.</li>
 *   <li>Its id is the first 16 hex digits of the SHA-256 of the raw bytes: short enough for logs, and what a
 *       signature names so that a verifier picks the key without trying each.</li>
 *   <li>A private key is PKCS#8 in PEM ({@code -----BEGIN PRIVATE KEY-----}), as {@code openssl genpkey -algorithm
 *       ed25519} writes it, so either tool can make one.</li>
 * </ul>
 */
public final class Ed25519Keys {

    public static final String PUBLIC_PREFIX = "ed25519:";
    private static final String ALGORITHM = "Ed25519";
    /** The X.509 SubjectPublicKeyInfo of an Ed25519 key is this fixed header and the 32 raw bytes. */
    private static final byte[] X509_HEADER = HexFormat.of().parseHex("302a300506032b6570032100");
    private static final int RAW_LENGTH = 32;
    private static final Pattern PEM_ARMOUR = Pattern.compile("-----(BEGIN|END) PRIVATE KEY-----|\\s");

    private Ed25519Keys() {
    }

    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no Ed25519 (Java 15 and later have it)", e);
        }
    }

    /** {@code ed25519:BASE64}. */
    public static String text(PublicKey key) {
        return PUBLIC_PREFIX + Base64.getEncoder().encodeToString(raw(key));
    }

    /**
     * @throws IllegalArgumentException when {@code text} is not {@code ed25519:} and 32 bytes of Base64, with a
     *                                  message that says what a key looks like
     */
    public static PublicKey publicKey(String text) {
        String trimmed = text == null ? "" : text.strip();
        if (!trimmed.startsWith(PUBLIC_PREFIX)) {
            throw new IllegalArgumentException("'" + shorten(trimmed) + "' is not a public key: one looks like "
                    + PUBLIC_PREFIX + "BASE64 (the .pub file that create_update.sh keygen writes)");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(trimmed.substring(PUBLIC_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("public key '" + shorten(trimmed) + "' is not valid Base64 after "
                    + PUBLIC_PREFIX + ": copy the whole line of the .pub file");
        }
        if (raw.length != RAW_LENGTH) {
            throw new IllegalArgumentException("public key '" + shorten(trimmed) + "' holds " + raw.length
                    + " bytes; an Ed25519 key has " + RAW_LENGTH + ": copy the whole line of the .pub file");
        }
        byte[] encoded = Arrays.copyOf(X509_HEADER, X509_HEADER.length + RAW_LENGTH);
        System.arraycopy(raw, 0, encoded, X509_HEADER.length, RAW_LENGTH);
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(encoded));
        } catch (InvalidKeySpecException e) {
            throw new IllegalArgumentException("public key '" + shorten(trimmed) + "' is not an Ed25519 key", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no Ed25519 (Java 15 and later have it)", e);
        }
    }

    /** The first 16 hex digits of the SHA-256 of the raw key. */
    public static String keyId(PublicKey key) {
        return Sha256.of(raw(key)).substring(0, 16);
    }

    /** PKCS#8 in PEM, lines of 64 characters, ending in a line break. */
    public static String pem(PrivateKey key) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded());
        return "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n";
    }

    /** @throws IllegalArgumentException when {@code pem} is not an Ed25519 private key in PKCS#8 PEM */
    public static PrivateKey privateKey(String pem) {
        String body = PEM_ARMOUR.matcher(pem == null ? "" : pem).replaceAll("");
        try {
            byte[] der = Base64.getDecoder().decode(body);
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | InvalidKeySpecException e) {
            throw new IllegalArgumentException("not an Ed25519 private key in PEM (-----BEGIN PRIVATE KEY-----): "
                    + "make one with create_update.sh keygen, or openssl genpkey -algorithm ed25519");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no Ed25519 (Java 15 and later have it)", e);
        }
    }

    /**
     * The public half of {@code key}. A PKCS#8 file of Ed25519 need not carry it, and the JDK has no call that derives
     * it, but its generator derives the public key from 32 bytes of seed: given the private key's own seed, it makes
     * the same pair. The result is checked with a signature, so a runtime that generated otherwise fails loudly.
     */
    public static PublicKey publicKeyOf(PrivateKey key) {
        if (!(key instanceof java.security.interfaces.EdECPrivateKey edKey) || edKey.getBytes().isEmpty()) {
            throw new IllegalArgumentException("the private key is not an Ed25519 key");
        }
        PublicKey derived;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
            generator.initialize(new java.security.spec.NamedParameterSpec(ALGORITHM),
                    new FixedRandom(edKey.getBytes().get()));
            derived = generator.generateKeyPair().getPublic();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no Ed25519 (Java 15 and later have it)", e);
        }
        byte[] probe = "javia-ota key check".getBytes(StandardCharsets.US_ASCII);
        if (!verify(derived, probe, sign(key, probe))) {
            throw new IllegalStateException("could not derive the public key of an Ed25519 private key on this Java "
                    + "runtime");
        }
        return derived;
    }

    public static byte[] sign(PrivateKey key, byte[] message) {
        try {
            Signature signer = Signature.getInstance(ALGORITHM);
            signer.initSign(key);
            signer.update(message);
            return signer.sign();
        } catch (InvalidKeyException e) {
            throw new IllegalArgumentException("the private key is not an Ed25519 key", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no Ed25519 (Java 15 and later have it)", e);
        }
    }

    /** Whether {@code signature} is {@code key}'s over {@code message}; false for a malformed signature. */
    public static boolean verify(PublicKey key, byte[] message, byte[] signature) {
        try {
            Signature verifier = Signature.getInstance(ALGORITHM);
            verifier.initVerify(key);
            verifier.update(message);
            return verifier.verify(signature);
        } catch (SignatureException | InvalidKeyException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no Ed25519 (Java 15 and later have it)", e);
        }
    }

    private static byte[] raw(PublicKey key) {
        byte[] encoded = key.getEncoded();
        if (encoded.length != X509_HEADER.length + RAW_LENGTH
                || !Arrays.equals(encoded, 0, X509_HEADER.length, X509_HEADER, 0, X509_HEADER.length)) {
            throw new IllegalArgumentException("not an Ed25519 public key");
        }
        return Arrays.copyOfRange(encoded, X509_HEADER.length, encoded.length);
    }

    private static String shorten(String text) {
        return text.length() <= 24 ? text : text.substring(0, 20) + "...";
    }

    /** Hands the generator the private key's seed, so that it derives that key's public half. */
    private static final class FixedRandom extends java.security.SecureRandom {
        private final byte[] seed;

        FixedRandom(byte[] seed) {
            this.seed = seed.clone();
        }

        @Override
        public void nextBytes(byte[] bytes) {
            System.arraycopy(seed, 0, bytes, 0, Math.min(seed.length, bytes.length));
        }
    }
}
