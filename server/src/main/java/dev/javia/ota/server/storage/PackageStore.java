package dev.javia.ota.server.storage;

import org.springframework.core.io.Resource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * Keeps update packages and their deltas. Keys are relative paths: {@link #packageKey} and {@link #deltaKey}. The
 * store is shared by every server instance (one directory, one bucket), so a file one instance put is there for all.
 */
public interface PackageStore {

    /** Where an update's package is kept: {@code updates/v1.2.3/update_v1.2.3.zip}. */
    static String packageKey(Object version) {
        return "updates/" + version + "/update_" + version + ".zip";
    }

    /** Where the delta of {@code target} from {@code base} is kept: {@code updates/v1.2.3/delta_v1.2.2_to_v1.2.3.zip}. */
    static String deltaKey(Object target, Object base) {
        return "updates/" + target + "/delta_" + base + "_to_" + target + ".zip";
    }

    /** A private scratch file for an upload on its way in, on the same disk as the store where that matters. */
    Path newUploadFile() throws IOException;

    /** Takes a verified package file (moving or copying it) and keeps it under {@code key}. */
    void put(String key, Path file) throws IOException;

    /** The package under {@code key}, streamed (never read whole into memory) and supporting ranges. */
    Resource open(String key) throws IOException;

    void delete(String key) throws IOException;

    /** Writes the file under {@code key} to {@code target} (replaced), streamed. */
    default void copyTo(String key, Path target) throws IOException {
        try (InputStream in = open(key).getInputStream()) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Where a device may fetch the package under {@code key} itself, without the server in the way and without its
     * token (a short-lived presigned URL); empty when the server streams it ({@link #open}).
     */
    default Optional<URI> directDownload(String key) {
        return Optional.empty();
    }

    /** Lets go of connections and threads when the server stops. */
    default void close() {
    }
}
