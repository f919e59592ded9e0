package dev.javia.ota.protocol.pkg;

/** Where things live inside an update ZIP. */
public final class PackageLayout {

    /** Every application file is under this prefix; it is what gets installed as the release directory. */
    public static final String APP_DIR = "pi_client/";
    /** The one file at the top level besides {@link #APP_DIR}. */
    public static final String METADATA = "update_metadata.json";
    /** Inside {@link #APP_DIR}: the version, one line, written by the packager. */
    public static final String VERSION_FILE = "VERSION";
    /** The format this code writes and the newest it reads. */
    public static final int FORMAT_VERSION = 1;

    private PackageLayout() {
    }

    /**
     * The detached signature's file beside a package: {@code update_v1.2.3.zip.sig}, a
     * {@link dev.javia.ota.protocol.trust.PublisherSignature} in JSON. It lives outside the ZIP because agents of
     * format 1 refuse any top-level entry but {@link #APP_DIR} and {@link #METADATA}; and a signature cannot be part of
     * what it signs.
     */
    public static String signatureFileName(Version version) {
        return fileName(version) + ".sig";
    }

    /** The file name an update is uploaded and stored under, e.g. {@code update_v1.2.3.zip}. */
    public static String fileName(Version version) {
        return "update_" + version + ".zip";
    }
}
