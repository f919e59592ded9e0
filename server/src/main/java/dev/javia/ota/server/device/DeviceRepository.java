package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.DeviceStatus;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import jakarta.persistence.LockModeType;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

public interface DeviceRepository extends JpaRepository<Device, UUID> {

    Optional<Device> findByDeviceUuid(String deviceUuid);

    /** The device row locked for this transaction: a status report's writer holds it as the heartbeat flush does. */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select d from Device d where d.deviceUuid = :deviceUuid")
    Optional<Device> lockByDeviceUuid(String deviceUuid);

    /** The fleet's search ({@link DeviceSearch}): each filter left null is none. */
    @Query("""
            select d from Device d
            where (:status is null or d.status = :status)
              and (:version is null or d.currentVersion = :version)
              and (:timezone is null or d.timezone = :timezone)
              and (:uuidPrefix is null or d.deviceUuid like :uuidPrefix escape '\\'
                   or lower(d.deviceName) like :nameLike escape '\\')
              and (:anyTime = true or (d.lastSeen >= :seenAfter and d.lastSeen < :seenBefore))
              and (:agentUnknown = false or d.agentVersion is null)
              and (:agentVersion is null or d.agentVersion = :agentVersion)
            """)
    Page<Device> search(DeviceStatus status, String version, String timezone, String uuidPrefix, String nameLike,
            boolean anyTime, Instant seenAfter, Instant seenBefore, boolean agentUnknown, String agentVersion,
            Pageable pageable);
}
