package dev.javia.ota.protocol.delta;

/**
 * One file of the target release that is not identical (same path, SHA-256 and mode) in the base, as
 * {@code delta.json} lists it. {@code size}, {@code sha256} and {@code mode} are the target manifest's for
 * {@code path}, repeated so that the list can be read alone; the assembler refuses a delta where they differ.
 *
 * @param how  {@value #WHOLE} (entry {@code whole/<path>}), {@value #PATCH} (entry {@code patch/<path>.zst}, a zstd
 *             patch-from against the base file {@code from}), {@value #COPY} (the content equals the base file
 *             {@code from}: a rename or a copy; no entry), {@value #MODE} (the same content at the same path, only
 *             the mode changed; no entry)
 * @param from the base file a patch, copy or mode change starts from; null for {@value #WHOLE}
 */
public record DeltaFile(String path, String how, String from, long size, String sha256, String mode) {

    public static final String WHOLE = "whole";
    public static final String PATCH = "patch";
    public static final String COPY = "copy";
    public static final String MODE = "mode";

    /** The entry that carries this file's content, or null when it travels without one (copy, mode). */
    public String entryName() {
        if (WHOLE.equals(how)) {
            return DeltaLayout.WHOLE_DIR + path;
        }
        if (PATCH.equals(how)) {
            return DeltaLayout.PATCH_DIR + path + DeltaLayout.PATCH_SUFFIX;
        }
        return null;
    }
}
