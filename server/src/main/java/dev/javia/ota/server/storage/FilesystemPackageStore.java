package dev.javia.ota.server.storage;

import dev.javia.ota.server.OtaProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Packages as files under {@code OTA_STORAGE_PATH}; a package appears under its key only once complete. */
class FilesystemPackageStore implements PackageStore {

    private static final Logger log = LoggerFactory.getLogger(FilesystemPackageStore.class);

    private final Path root;
    private final Path incoming;

    FilesystemPackageStore(OtaProperties properties) {
        this.root = properties.storagePath().toAbsolutePath().normalize();
        this.incoming = root.resolve(".incoming");
        try {
            Files.createDirectories(incoming);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the package storage directory " + incoming
                    + ": set OTA_STORAGE_PATH to a directory the server may write", e);
        }
        log.info("package storage path={}", root);
    }

    @Override
    public Path newUploadFile() throws IOException {
        return Files.createTempFile(incoming, "upload-", ".zip");
    }

    @Override
    public void put(String key, Path file) throws IOException {
        Path target = resolve(key);
        Files.createDirectories(target.getParent());
        Path partial = Files.createTempFile(target.getParent(), ".partial-", ".zip");
        Files.copy(file, partial, StandardCopyOption.REPLACE_EXISTING);
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public Resource open(String key) throws IOException {
        Path file = resolve(key);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "the package file is missing from the store");
        }
        return new FileSystemResource(file);
    }

    @Override
    public void copyTo(String key, Path target) throws IOException {
        Path file = resolve(key);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "the package file is missing from the store");
        }
        Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void delete(String key) throws IOException {
        Files.deleteIfExists(resolve(key));
    }

    private Path resolve(String key) {
        Path file = root.resolve(key).normalize();
        if (!file.startsWith(root) || file.startsWith(incoming)) {
            throw new IllegalArgumentException("storage key leaves the store: " + key);
        }
        return file;
    }
}
