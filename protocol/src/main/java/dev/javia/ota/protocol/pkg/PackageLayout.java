package dev.javia.ota.protocol.pkg;

/** Where things live inside an update ZIP. */
public final class PackageLayout {

    /** Every application file is under this prefix; it is what gets installed as the release directory. */
    public static final String APP_DIR = "pi_client/";
    /**
     * The agent release a package may carry ({@link AgentRelease}); a package with one is of
     * {@link #AGENT_FORMAT_VERSION}, which agents before it refuse, so the server offers it only to agents that say
     * they read it.
     */
    public static final String AGENT_DIR = "javia_agent/";
    /** The one file at the top level besides {@link #APP_DIR} (and {@link #AGENT_DIR}). */
    public static final String METADATA = "update_metadata.json";
    /** Inside {@link #APP_DIR}: the version, one line, written by the packager. */
    public static final String VERSION_FILE = "VERSION";
    /** The format of a package without an agent release: what every agent reads, written byte for byte as before. */
    public static final int FORMAT_VERSION = 1;
    /**
     * The format of a package that carries an agent release ({@link #AGENT_DIR}, metadata {@code agent} and
     * {@code app_included}), and the newest this code reads. Format-1 readers refuse it whole (its version is newer
     * than theirs), never half-install it.
     */
    public static final int AGENT_FORMAT_VERSION = 2;
    /** The newest package format this code reads: what an agent tells the server in {@code package_format}. */
    public static final int NEWEST_FORMAT_VERSION = AGENT_FORMAT_VERSION;

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
