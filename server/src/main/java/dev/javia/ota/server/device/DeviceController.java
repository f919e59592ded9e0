package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.DevicePage;
import dev.javia.ota.protocol.api.DeviceRegistration;
import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.DeviceStatusChange;
import dev.javia.ota.protocol.api.DeviceView;
import dev.javia.ota.protocol.api.RegisterDevice;
import dev.javia.ota.server.web.ApiException;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/devices")
class DeviceController {

    private static final int MAX_PAGE_SIZE = 500;

    private final DeviceRegistry registry;
    private final DeviceRepository devices;

    DeviceController(DeviceRegistry registry, DeviceRepository devices) {
        this.registry = registry;
        this.devices = devices;
    }

    @PostMapping("/register")
    ResponseEntity<DeviceRegistration> register(@RequestBody(required = false) RegisterDevice request) {
        DeviceRegistry.Registered registered = registry.register(request);
        return ResponseEntity.status(HttpStatus.CREATED).body(registered.registration());
    }

    @GetMapping("/{deviceUuid}")
    DeviceView device(@PathVariable String deviceUuid) {
        return registry.find(deviceUuid).view();
    }

    @PatchMapping("/{deviceUuid}/status")
    DeviceView changeStatus(@PathVariable String deviceUuid, @RequestBody(required = false) DeviceStatusChange change) {
        return registry.changeStatus(deviceUuid, change);
    }

    @GetMapping({"", "/"})
    DevicePage list(@RequestParam(required = false) String status, @RequestParam(required = false) String version,
            @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "100") int size) {
        if (page < 0 || size < 1 || size > MAX_PAGE_SIZE) {
            throw ApiException.badRequest("page must be 0 or more and size between 1 and " + MAX_PAGE_SIZE);
        }
        if ((long) page * size > Integer.MAX_VALUE) {
            throw ApiException.badRequest("page " + page + " is beyond any fleet: page x size must stay below "
                    + Integer.MAX_VALUE + "; the answer's total_pages says how many pages there are");
        }
        DeviceStatus wanted = status == null || status.isBlank() ? null : parseStatus(status);
        Page<Device> found = devices.search(wanted, version == null || version.isBlank() ? null : version,
                PageRequest.of(page, size, Sort.by(Sort.Direction.DESC, "registeredAt").and(Sort.by("deviceUuid"))));
        return new DevicePage(found.map(Device::view).getContent(), page, size, found.getTotalElements(),
                found.getTotalPages());
    }

    private static DeviceStatus parseStatus(String status) {
        try {
            return DeviceStatus.parse(status);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }
}
