package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.DeviceChange;
import dev.javia.ota.protocol.api.DevicePage;
import dev.javia.ota.protocol.api.DeviceStatusChange;
import dev.javia.ota.protocol.api.DeviceView;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.OpenApiDocument;
import dev.javia.ota.server.web.Paging;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.data.domain.Page;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@RestController
@RequestMapping("/api/v1/devices")
@Tag(name = OpenApiDocument.OPERATOR)
class DeviceController {

    private static final int MAX_PAGE_SIZE = Paging.MAX_PAGE_SIZE;
    /** An answer is application/json, whatever else the Accept header allows (application/problem+json too). */
    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;

    private static final String MERGE_PATCH = "application/merge-patch+json";
    /** Reads a merge patch into its record once its fields are known to be present; unknown fields are refused. */
    private static final JsonMapper PATCH_READER = JsonMapper.builder().build();

    private final DeviceRegistry registry;
    private final DeviceViews views;
    private final DeviceSearch search;

    DeviceController(DeviceRegistry registry, DeviceViews views, DeviceSearch search) {
        this.registry = registry;
        this.views = views;
        this.search = search;
    }

    @GetMapping(path = "/{deviceUuid}", produces = JSON)
    @Operation(operationId = "getDevice", summary = "A device's record",
            description = "An admin key, or the device's own token.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The device")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    DeviceView device(@PathVariable @Parameter(description = OpenApiDocument.DEVICE_UUID) String deviceUuid) {
        return views.of(registry.find(deviceUuid));
    }

    @PatchMapping(path = "/{deviceUuid}", consumes = {JSON, MERGE_PATCH}, produces = JSON)
    @Operation(operationId = "changeDevice", summary = "Rename a device, or set its install window",
            description = "Admin keys only. A JSON merge patch (RFC 7396): a field left out stays as it is. "
                    + "`update_window` sets the nightly window of scheduled updates for this device alone "
                    + "(`start_hour` in the device's timezone, `length_minutes` or the fleet's length); "
                    + "`\"update_window\": null` removes it, so that the device's own `DEVICE_UPDATE_HOUR` or the "
                    + "fleet's window is in force again. Scheduled updates the device has not started move to the "
                    + "new window.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = JSON, schema = @Schema(implementation = DeviceChange.class)),
                    @Content(mediaType = MERGE_PATCH, schema = @Schema(implementation = DeviceChange.class))}))
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The device as changed")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    DeviceView change(@PathVariable @Parameter(description = OpenApiDocument.DEVICE_UUID) String deviceUuid,
            @RequestBody(required = false) @Parameter(hidden = true) JsonNode patch,
            @Parameter(hidden = true) Caller caller) {
        return views.of(registry.change(caller, deviceUuid, patch, read(patch)));
    }

    private static DeviceChange read(JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            return null;
        }
        for (String field : patch.propertyNames()) {
            if (!field.equals("device_name") && !field.equals("update_window")) {
                throw ApiException.badRequest("'" + field + "' cannot be changed here: send device_name or"
                        + " update_window");
            }
        }
        JsonNode window = patch.get("update_window");
        if (window != null && window.isObject()) {
            for (String field : window.propertyNames()) {
                if (!field.equals("start_hour") && !field.equals("length_minutes")) {
                    throw ApiException.badRequest("update_window." + field + " is not a setting of the window: send"
                            + " start_hour and, if not the fleet's, length_minutes");
                }
                JsonNode value = window.get(field);
                if (!value.isNull() && !value.isIntegralNumber()) {
                    throw ApiException.badRequest("update_window." + field + " must be a whole number, not "
                            + value + (field.equals("start_hour") ? ", e.g. 3 for 03:00" : ", e.g. 120"));
                }
            }
        }
        try {
            return PATCH_READER.treeToValue(patch, DeviceChange.class);
        } catch (JacksonException e) {
            throw ApiException.badRequest("device_name must be text and update_window an object such as"
                    + " {\"start_hour\": 3, \"length_minutes\": 120}, or null");
        }
    }

    @PatchMapping(path = "/{deviceUuid}/status", produces = JSON)
    @Operation(operationId = "changeDeviceStatus", summary = "Set a device's status (and version)",
            description = "An admin key, or the device's own token.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The device as changed")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    DeviceView changeStatus(@PathVariable @Parameter(description = OpenApiDocument.DEVICE_UUID) String deviceUuid,
            @RequestBody(required = false) DeviceStatusChange change) {
        return views.of(registry.changeStatus(deviceUuid, change));
    }

    @GetMapping(path = {"", "/"}, produces = JSON)
    @Operation(operationId = "listDevices", summary = "The fleet, newest registration first, a page at a time",
            description = "Admin keys only. Search by uuid or name, filter by status, version, timezone, when a"
                    + " device was last seen and its agent's version, and sort; the filters given all apply.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "One page of devices")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    DevicePage list(
            @RequestParam(required = false) @Parameter(description = "a device uuid, the start of one, or part of a"
                    + " device's name (any case)") String q,
            @RequestParam(required = false) @Parameter(description = "only devices with this status",
                    schema = @Schema(allowableValues = {"online", "offline", "updating"})) String status,
            @RequestParam(required = false) @Parameter(description = "only devices on this version, e.g. v1.2.3")
            String version,
            @RequestParam(required = false) @Parameter(description = "only devices in this timezone, e.g. Europe/Berlin")
            String timezone,
            @RequestParam(name = "last_seen", required = false) @Parameter(name = "last_seen",
                    description = "only devices last seen within an hour, a day or a week, or longer ago than a day"
                            + " or a week", schema = @Schema(allowableValues = {"within-1h", "within-1d", "within-7d",
                            "over-1d", "over-7d"})) String lastSeen,
            @RequestParam(required = false) @Parameter(description = "the order: name, last_seen, version, status or"
                    + " registered, descending with a leading '-'", schema = @Schema(defaultValue = "-registered"))
            String sort,
            @RequestParam(name = "agent_version", required = false) @Parameter(name = "agent_version",
                    description = "only devices whose agent runs this version (e.g. v0.2.0), or 'none': those whose"
                            + " agent never told its version (before self-update: they need the .deb once)")
            String agentVersion,
            @RequestParam(defaultValue = "0") @Parameter(description = "the page, from 0",
                    schema = @Schema(type = "integer", format = "int32", minimum = "0", defaultValue = "0")) int page,
            @RequestParam(defaultValue = "100") @Parameter(description = "devices per page",
                    schema = @Schema(type = "integer", format = "int32", minimum = "1", maximum = "" + MAX_PAGE_SIZE,
                            defaultValue = "100")) int size) {
        Paging.check(page, size);
        Page<Device> found = search.find(DeviceSearch.Query.of(q, status, version, timezone, lastSeen, sort,
                agentVersion), page, size);
        return new DevicePage(views.of(found.getContent()), page, size, found.getTotalElements(),
                found.getTotalPages());
    }
}
