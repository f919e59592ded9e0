package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.DeviceStatus;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

import java.util.Optional;
import java.util.UUID;

public interface DeviceRepository extends JpaRepository<Device, UUID> {

    Optional<Device> findByDeviceUuid(String deviceUuid);

    @Query("""
            select d from Device d
            where (:status is null or d.status = :status)
              and (:version is null or d.currentVersion = :version)
            """)
    Page<Device> search(DeviceStatus status, String version, Pageable pageable);
}
