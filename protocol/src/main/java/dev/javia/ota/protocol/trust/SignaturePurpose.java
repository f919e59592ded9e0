package dev.javia.ota.protocol.trust;

import java.nio.charset.StandardCharsets;

/**
 * What a signature is for. Each signed message starts with its purpose's line, so that a signature made for one
 * purpose never verifies for another (a device's proof is not a package's signature, a rollback statement is not
 * metadata). The lines are part of the format: never change one, add a purpose instead.
 */
public enum SignaturePurpose {
    /** A package: the message is the line and the SHA-256 (hex) of its {@code update_metadata.json}. */
    PACKAGE("javia-ota package v1\n"),
    /** A rollback statement: the message is the line and the statement's JSON, byte for byte. */
    ROLLBACK("javia-ota rollback v1\n"),
    /** A device's answer to a server challenge: the line, the device uuid, a line break and the challenge. */
    DEVICE_CHALLENGE("javia-ota device-challenge v1\n");

    private final String line;

    SignaturePurpose(String line) {
        this.line = line;
    }

    /** The message a signature of this purpose covers: the purpose's line, then {@code content}. */
    public byte[] message(byte[] content) {
        byte[] prefix = line.getBytes(StandardCharsets.US_ASCII);
        byte[] message = new byte[prefix.length + content.length];
        System.arraycopy(prefix, 0, message, 0, prefix.length);
        System.arraycopy(content, 0, message, prefix.length, content.length);
        return message;
    }

    public byte[] message(String content) {
        return message(content.getBytes(StandardCharsets.UTF_8));
    }
}
