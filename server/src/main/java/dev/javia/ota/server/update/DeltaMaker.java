package dev.javia.ota.server.update;

import dev.javia.ota.protocol.delta.DeltaBuilder;
import dev.javia.ota.protocol.pkg.PackageLimits;
import dev.javia.ota.server.storage.PackageStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Makes a new update's deltas while it is published ({@link UpdatePublisher}), from the versions
 * {@link UpdateDeltas#bases} chooses: each base's package is read from the store to a scratch file, the delta built
 * against the verified upload ({@link DeltaBuilder}) and put in the store beside the package. One base after another,
 * so that a publish holds one delta's scratch files at a time. A delta that fails (a base's package missing from the
 * store, unreadable, or not the base its row says) or that is not below {@link DeltaSettings#maxShare} of the package
 * is logged and left out: the devices on that base download the whole package, and the publish goes on. The rows are
 * the caller's to write, with the update's.
 */
@Component
class DeltaMaker {

    private static final Logger log = LoggerFactory.getLogger(DeltaMaker.class);

    private final UpdateDeltas deltas;
    private final PackageStore store;
    private final DeltaSettings settings;
    private final Clock clock;

    DeltaMaker(UpdateDeltas deltas, PackageStore store, DeltaSettings settings, Clock clock) {
        this.deltas = deltas;
        this.store = store;
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * The deltas of the update {@code updateId} ({@code version}, package {@code target} of {@code packageBytes}),
     * stored; never throws for a delta's sake. The caller deletes their files should the update not be recorded.
     */
    List<UpdateDeltas.Delta> make(UUID updateId, String version, Path target, long packageBytes,
            PackageLimits limits) {
        List<UpdateDeltas.Base> bases = deltas.bases(version, settings.bases());
        List<UpdateDeltas.Delta> made = new ArrayList<>();
        long allStarted = System.nanoTime();
        for (UpdateDeltas.Base base : bases) {
            long started = System.nanoTime();
            Path basePackage = null;
            Path out = null;
            try {
                basePackage = store.newUploadFile();
                store.copyTo(base.storageKey(), basePackage);
                out = basePackage.resolveSibling(basePackage.getFileName() + ".delta");
                DeltaBuilder.Result result = DeltaBuilder.build(basePackage, target, out, limits);
                long millis = (System.nanoTime() - started) / 1_000_000;
                if (base.manifestSha256() != null && !base.manifestSha256().equals(result.baseManifestSha256())) {
                    log.warn("delta not made base_version={} version={} millis={}: the stored package of {} is not"
                                    + " the one published (its update_metadata.json differs); devices on it download"
                                    + " the whole package", base.version(), version, millis, base.version());
                    continue;
                }
                if (result.sizeBytes() >= settings.maxShare() * packageBytes) {
                    log.info("delta not kept base_version={} version={} size_bytes={} package_bytes={} share={}"
                                    + " max_share={} millis={}: too little saved; devices on it download the whole"
                                    + " package", base.version(), version, result.sizeBytes(), packageBytes,
                            share(result.sizeBytes(), packageBytes), settings.maxShare(), millis);
                    continue;
                }
                String key = PackageStore.deltaKey(version, base.version());
                store.put(key, out);
                made.add(new UpdateDeltas.Delta(updateId, base.version(), result.baseManifestSha256(),
                        result.targetManifestSha256(), key, result.sha256(), result.sizeBytes(), result.whole(),
                        result.patched(), result.copied(), result.removed(), clock.instant()));
                if (base.manifestSha256() == null) {
                    // published before deltas: its hash is known now, from the same bytes
                    deltas.recordManifest(base.updateId(), result.baseManifestSha256());
                }
                log.info("delta made base_version={} version={} size_bytes={} package_bytes={} share={} whole={}"
                                + " patched={} copied={} removed={} devices_on_base={} millis={}", base.version(),
                        version, result.sizeBytes(), packageBytes, share(result.sizeBytes(), packageBytes),
                        result.whole(), result.patched(), result.copied(), result.removed(), base.devices(),
                        (System.nanoTime() - started) / 1_000_000);
            } catch (Exception e) {
                // whatever went wrong with one delta, the update is still published: its devices take the package
                log.warn("delta not made base_version={} version={} millis={} error=\"{}\": devices on it download"
                                + " the whole package", base.version(), version,
                        (System.nanoTime() - started) / 1_000_000, e.getMessage() == null ? e.toString()
                                : e.getMessage());
            } finally {
                deleteQuietly(basePackage);
                deleteQuietly(out);
            }
        }
        if (!bases.isEmpty()) {
            log.info("deltas of version={} made={} bases={} millis={}", version, made.size(), bases.size(),
                    (System.nanoTime() - allStarted) / 1_000_000);
        }
        return made;
    }

    /** Deletes the stored files of deltas whose update was not recorded. */
    void forget(List<UpdateDeltas.Delta> made) {
        for (UpdateDeltas.Delta delta : made) {
            try {
                store.delete(delta.storageKey());
            } catch (IOException | RuntimeException e) {
                log.warn("could not delete delta key={} error=\"{}\"", delta.storageKey(), e.getMessage());
            }
        }
    }

    private static String share(long size, long of) {
        return String.format(Locale.ROOT, "%.3f", (double) size / of);
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("could not delete delta scratch file path={}", file);
        }
    }
}
