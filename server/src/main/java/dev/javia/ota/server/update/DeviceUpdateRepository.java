package dev.javia.ota.server.update;

import org.springframework.data.jpa.repository.JpaRepository;

import java.util.Optional;
import java.util.UUID;

interface DeviceUpdateRepository extends JpaRepository<DeviceUpdate, UUID> {

    Optional<DeviceUpdate> findByDeviceIdAndUpdateId(UUID deviceId, UUID updateId);

    boolean existsByDeviceIdAndUpdateId(UUID deviceId, UUID updateId);
}
