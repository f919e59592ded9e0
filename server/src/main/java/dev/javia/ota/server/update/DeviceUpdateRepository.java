package dev.javia.ota.server.update;

import org.springframework.data.jpa.repository.JpaRepository;

import java.util.Optional;
import java.util.UUID;

interface DeviceUpdateRepository extends JpaRepository<DeviceUpdate, UUID> {

    Optional<DeviceUpdate> findByDeviceIdAndUpdateId(UUID deviceId, UUID updateId);

    /** The device's open update (pending, downloading or installing), if it has one. */
    @org.springframework.data.jpa.repository.Query(value = """
            select * from device_updates where device_id = ?1 and status in ('pending', 'downloading', 'installing')
            limit 1""", nativeQuery = true)
    Optional<DeviceUpdate> findOpen(UUID deviceId);

    boolean existsByDeviceIdAndUpdateId(UUID deviceId, UUID updateId);
}
