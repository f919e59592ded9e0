package dev.javia.ota.server.storage;

import org.springframework.core.io.Resource;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/** Keeps update packages. Keys are relative paths such as {@code updates/v1.2.3/update_v1.2.3.zip}. */
public interface PackageStore {

    /** A private scratch file for an upload on its way in, on the same disk as the store where that matters. */
    Path newUploadFile() throws IOException;

    /** Takes a verified package file (moving or copying it) and keeps it under {@code key}. */
    void put(String key, Path file) throws IOException;

    /** The package under {@code key}, streamed (never read whole into memory) and supporting ranges. */
    Resource open(String key) throws IOException;

    void delete(String key) throws IOException;

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
