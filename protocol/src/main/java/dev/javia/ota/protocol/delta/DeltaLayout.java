package dev.javia.ota.protocol.delta;

/** Where things live inside a delta ZIP (see the package's description). */
final class DeltaLayout {

    static final int FORMAT_VERSION = 1;
    static final String DELTA_JSON = "delta.json";
    static final String BASE_METADATA = "base_metadata.json";
    static final String WHOLE_DIR = "whole/";
    static final String PATCH_DIR = "patch/";
    static final String PATCH_SUFFIX = ".zst";

    private DeltaLayout() {
    }
}
