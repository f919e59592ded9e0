package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.UpdateDevicesPage;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateView;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.OpenApiDocument;
import dev.javia.ota.server.web.Paging;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;
import java.util.UUID;

/**
 * What an operator asks about one update and one device without SQL (the update with its counts, which of its
 * devices are in a status and why the failed ones failed, a device's history), and tells one device to install now.
 */
@RestController
@Tag(name = "updates")
class OperatorUpdateController {

    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;

    private final UpdateCatalog catalog;
    private final UpdateProgress progress;

    OperatorUpdateController(UpdateCatalog catalog, UpdateProgress progress) {
        this.catalog = catalog;
        this.progress = progress;
    }

    @GetMapping(path = "/api/v1/updates/{id}", produces = JSON)
    @Operation(operationId = "getUpdate", summary = "One update, with how many devices stand in each status",
            description = "Admin keys only.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The update")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    UpdateView update(@PathVariable @Parameter(description = "the update's id") UUID id) {
        return catalog.one(id);
    }

    @GetMapping(path = "/api/v1/updates/{id}/devices", produces = JSON)
    @Operation(operationId = "listUpdateDevices",
            summary = "The update's devices (in one status, when asked) and its failures grouped by message",
            description = """
                    Admin keys only. Devices most recently changed first, a page at a time; `failures` groups every \
                    failed device of the update by its error message, the most frequent first (at most 20 messages, \
                    each naming up to 10 devices), whatever the status filter.""")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "One page of the update's devices")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    UpdateDevicesPage devices(@PathVariable @Parameter(description = "the update's id") UUID id,
            @RequestParam(required = false) @Parameter(description = "only devices in this status, e.g. failed",
                    schema = @Schema(allowableValues = {"pending", "downloading", "installing", "completed",
                            "failed", "superseded"})) String status,
            @RequestParam(defaultValue = "0") @Parameter(description = "the page, from 0",
                    schema = @Schema(type = "integer", format = "int32", minimum = "0", defaultValue = "0")) int page,
            @RequestParam(defaultValue = "100") @Parameter(description = "devices per page",
                    schema = @Schema(type = "integer", format = "int32", minimum = "1",
                            maximum = "" + Paging.MAX_PAGE_SIZE, defaultValue = "100")) int size) {
        Paging.check(page, size);
        return catalog.devices(id, status == null || status.isBlank() ? null : parseStatus(status), page, size);
    }

    @GetMapping(path = "/api/v1/devices/{deviceUuid}/updates", produces = JSON)
    @Operation(operationId = "getDeviceUpdates", summary = "A device's updates, the newest version first",
            description = "An admin key, or the device's own token. At most the newest 100.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The device's updates")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    List<DeviceUpdateView> history(
            @PathVariable @Parameter(description = OpenApiDocument.DEVICE_UUID) String deviceUuid) {
        return catalog.history(deviceUuid);
    }

    @PostMapping(path = "/api/v1/updates/{id}/devices/{deviceUuid}/install-now", produces = JSON)
    @Operation(operationId = "installNow", summary = "One device installs a pending update now, not in its night window",
            description = """
                    Admin keys only. The device's turn becomes now: it installs at its next check, once it has been \
                    idle as usual (5 minutes for a scheduled update, an hour for an urgent one), never in the middle \
                    of a conversation. Only an update the device has not started may be moved.""")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The device's progress, due now")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    DeviceUpdateView installNow(@PathVariable @Parameter(description = "the update's id") UUID id,
            @PathVariable @Parameter(description = OpenApiDocument.DEVICE_UUID) String deviceUuid) {
        return progress.installNow(id, deviceUuid);
    }

    private static UpdateStatus parseStatus(String status) {
        try {
            return UpdateStatus.parse(status);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }
}
