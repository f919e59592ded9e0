package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

import java.util.Optional;
import java.util.UUID;

interface UpdateRepository extends JpaRepository<Update, UUID> {

    boolean existsByVersion(String version);

    Optional<Update> findFirstByOrderByVersionMajorDescVersionMinorDescVersionPatchDesc();

    /**
     * The operator's list: each filter applies when it is not null. {@code status} keeps the updates with at least
     * one device in it (device_updates_update_status answers that without reading the devices' rows).
     */
    @Query("""
            select u from Update u
            where (:version is null or u.version = :version)
              and (:type is null or u.updateType = :type)
              and (:status is null or exists (
                      select 1 from DeviceUpdate du where du.updateId = u.id and du.status = :status))
            """)
    Page<Update> search(String version, UpdateType type, UpdateStatus status, Pageable pageable);
}
