package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.DeltaOffer;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The deltas of updates (update_deltas, V18): one row per update and base version, its file in the package store.
 * Rows are written with their update, in the publish's transaction ({@link UpdatePublisher}), so that an update is
 * never offered without the deltas made for it; any instance then reads them, since the store is shared and the
 * offers' cache on every instance forgets an update when a delta of it changes (the row's trigger announces it).
 */
@Component
class UpdateDeltas {

    /** How many of the last published versions are bases whether or not a device runs them. */
    static final int RECENT = 3;

    private static final String SELECT = """
            select update_id, base_version, base_manifest_sha256, target_manifest_sha256, storage_key, sha256,
                   size_bytes, whole_files, patched_files, copied_files, removed_files, created_at
            from update_deltas
            """;
    private static final RowMapper<Delta> DELTA = (rs, row) -> new Delta(rs.getObject("update_id", UUID.class),
            rs.getString("base_version"), rs.getString("base_manifest_sha256"), rs.getString("target_manifest_sha256"),
            rs.getString("storage_key"), rs.getString("sha256"), rs.getLong("size_bytes"), rs.getInt("whole_files"),
            rs.getInt("patched_files"), rs.getInt("copied_files"), rs.getInt("removed_files"),
            rs.getTimestamp("created_at").toInstant());

    private final JdbcClient jdbc;

    UpdateDeltas(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** One delta: from {@code baseVersion} to its update's version, as stored. */
    record Delta(UUID updateId, String baseVersion, String baseManifestSha256, String targetManifestSha256,
            String storageKey, String sha256, long sizeBytes, int wholeFiles, int patchedFiles, int copiedFiles,
            int removedFiles, Instant createdAt) {

        /** As the update check names it to a device on {@code baseVersion}. */
        DeltaOffer offer() {
            return new DeltaOffer(baseVersion, baseManifestSha256, targetManifestSha256,
                    ApiPaths.deltaDownload(updateId, baseVersion), sha256, sizeBytes);
        }
    }

    /**
     * A published version a new update's delta may start from.
     *
     * @param devices how many registered devices run it
     */
    record Base(UUID updateId, String version, String storageKey, String manifestSha256, long devices) {
    }

    /** The update's deltas, by base version. */
    List<Delta> of(UUID updateId) {
        return jdbc.sql(SELECT + " where update_id = ? order by base_version").param(updateId).query(DELTA).list();
    }

    Optional<Delta> find(UUID updateId, String baseVersion) {
        return jdbc.sql(SELECT + " where update_id = ? and base_version = ?").param(updateId).param(baseVersion)
                .query(DELTA).optional();
    }

    void insert(Delta delta) {
        jdbc.sql("""
                insert into update_deltas (update_id, base_version, base_manifest_sha256, target_manifest_sha256,
                    storage_key, sha256, size_bytes, whole_files, patched_files, copied_files, removed_files, created_at)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).params(delta.updateId(), delta.baseVersion(), delta.baseManifestSha256(),
                        delta.targetManifestSha256(), delta.storageKey(), delta.sha256(), delta.sizeBytes(),
                        delta.wholeFiles(), delta.patchedFiles(), delta.copiedFiles(), delta.removedFiles(),
                        Timestamp.from(delta.createdAt()))
                .update();
    }

    /**
     * The versions a delta to {@code target} is made from, at most {@code most}: the published versions registered
     * devices run, the most devices first, then the {@value #RECENT} last published (which devices installing an
     * earlier update will soon run); never {@code target} itself. A device on a version the server never published
     * has no base here: it gets the whole package. One pass over devices_current_version.
     */
    List<Base> bases(String target, int most) {
        if (most <= 0) {
            return List.of();
        }
        return jdbc.sql("""
                with running as (
                    select current_version as version, count(*) as devices from devices
                    where current_version is not null group by current_version
                ), recent as (
                    select id from updates where version <> ?
                    order by version_major desc, version_minor desc, version_patch desc limit ?
                )
                select u.id, u.version, u.storage_key, u.manifest_sha256, coalesce(r.devices, 0) as devices
                from updates u left join running r on r.version = u.version
                where u.version <> ? and (r.devices is not null or u.id in (select id from recent))
                order by coalesce(r.devices, 0) desc, u.version_major desc, u.version_minor desc,
                         u.version_patch desc
                limit ?
                """).param(target).param(RECENT).param(target).param(most)
                .query((rs, row) -> new Base(rs.getObject("id", UUID.class), rs.getString("version"),
                        rs.getString("storage_key"), rs.getString("manifest_sha256"), rs.getLong("devices")))
                .list();
    }

    /** Keeps a base's manifest hash, made from its stored package, on an update published before deltas. */
    void recordManifest(UUID updateId, String manifestSha256) {
        jdbc.sql("update updates set manifest_sha256 = ? where id = ? and manifest_sha256 is null")
                .param(manifestSha256).param(updateId).update();
    }
}
