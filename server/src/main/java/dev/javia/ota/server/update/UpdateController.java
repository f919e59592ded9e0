package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.HeartbeatReply;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateCheck;
import dev.javia.ota.protocol.api.UpdateCreated;
import dev.javia.ota.protocol.api.UpdateView;
import dev.javia.ota.server.device.Heartbeats;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.storage.PackageStore;
import dev.javia.ota.server.web.ApiException;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.multipart.MultipartFile;

import java.io.IOException;
import java.util.List;
import java.util.UUID;

@RestController
class UpdateController {

    private final UpdatePublisher publisher;
    private final UpdateProgress progress;
    private final UpdateChecks checks;
    private final UpdateCatalog catalog;
    private final PackageStore store;
    private final Heartbeats heartbeats;

    UpdateController(UpdatePublisher publisher, UpdateProgress progress, UpdateChecks checks, UpdateCatalog catalog,
            PackageStore store, Heartbeats heartbeats) {
        this.publisher = publisher;
        this.progress = progress;
        this.checks = checks;
        this.catalog = catalog;
        this.store = store;
        this.heartbeats = heartbeats;
    }

    @PostMapping(path = "/api/v1/updates/create", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    ResponseEntity<UpdateCreated> create(@RequestPart("package") MultipartFile pkg,
            @RequestParam("version") String version,
            @RequestParam(name = "description", required = false) String description,
            @RequestParam("update_type") String updateType,
            @RequestParam(name = "system_packages", required = false) String systemPackages,
            @RequestParam(name = "target_devices", required = false) String targetDevices) {
        UpdateForm form = UpdateForm.parse(version, description, updateType, systemPackages, targetDevices);
        return ResponseEntity.status(HttpStatus.CREATED).body(publisher.publish(form, pkg));
    }

    @GetMapping({"/api/v1/updates", "/api/v1/updates/"})
    List<UpdateView> list() {
        return catalog.list();
    }

    /** A heartbeat also answers the update check: one request for each device every five minutes does both. */
    @PostMapping("/api/v1/devices/{deviceUuid}/heartbeat")
    HeartbeatReply heartbeat(@PathVariable String deviceUuid, @RequestBody(required = false) Heartbeat heartbeat,
            Caller caller) {
        HeartbeatReply reply = heartbeats.receive(caller, deviceUuid, heartbeat);
        return reply.withUpdateCheck(checks.check(caller, deviceUuid));
    }

    @GetMapping("/api/v1/devices/{deviceUuid}/updates/check")
    UpdateCheck check(@PathVariable String deviceUuid, Caller caller) {
        return checks.check(caller, deviceUuid);
    }

    @PostMapping("/api/v1/updates/{id}/status")
    DeviceUpdateView report(@PathVariable UUID id, @RequestBody(required = false) StatusReport report, Caller caller) {
        return progress.report(id, report, caller);
    }

    /** Streams the package; Spring answers Range requests (206, 416) from the same resource. */
    @GetMapping("/api/v1/updates/{id}/download")
    ResponseEntity<Resource> download(@PathVariable UUID id, Caller caller, WebRequest request) throws IOException {
        Update update = progress.downloadable(id, caller);
        String etag = "\"" + update.sha256() + "\"";
        if (request.checkNotModified(etag)) {
            return null;
        }
        Resource resource;
        try {
            resource = store.open(update.storageKey());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, "the package of " + update.version()
                    + " is missing from the server's storage: restore it or publish a new version");
        }
        return ResponseEntity.ok()
                .eTag(etag)
                .contentType(MediaType.parseMediaType("application/zip"))
                .header(HttpHeaders.ACCEPT_RANGES, "bytes")
                .header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment()
                        .filename("update_" + update.version() + ".zip").build().toString())
                .cacheControl(CacheControl.noCache())
                .body(resource);
    }
}
