package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.UpdateStatus;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

interface DeviceUpdateRepository extends JpaRepository<DeviceUpdate, UUID> {

    Optional<DeviceUpdate> findByDeviceIdAndUpdateId(UUID deviceId, UUID updateId);

    boolean existsByDeviceIdAndUpdateId(UUID deviceId, UUID updateId);

    /** The device's open updates (not started, or under way), newest version first. */
    @Query("""
            select du from DeviceUpdate du, Update u
            where du.updateId = u.id and du.deviceId = :deviceId
              and du.status in :statuses
            order by u.versionMajor desc, u.versionMinor desc, u.versionPatch desc
            """)
    List<DeviceUpdate> findForDevice(UUID deviceId, Collection<UpdateStatus> statuses);

    default List<DeviceUpdate> openForDevice(UUID deviceId) {
        return findForDevice(deviceId, EnumSet.of(UpdateStatus.PENDING, UpdateStatus.DOWNLOADING,
                UpdateStatus.INSTALLING));
    }
}
