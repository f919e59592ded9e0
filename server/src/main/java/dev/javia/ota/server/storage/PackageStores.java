package dev.javia.ota.server.storage;

import dev.javia.ota.server.OtaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.List;

/** Chooses the package store from {@code OTA_STORAGE}: the server's disk unless told otherwise. */
@Configuration(proxyBeanMethods = false)
class PackageStores {

    @Bean(destroyMethod = "close")
    PackageStore packageStore(StorageSettings settings, OtaProperties properties) {
        List<String> problems = settings.problems();
        if (!problems.isEmpty()) {
            throw new PackageStoreUnusable(problems, null);
        }
        if (settings.s3()) {
            return S3PackageStore.connect(settings, properties);
        }
        return new FilesystemPackageStore(properties);
    }
}
