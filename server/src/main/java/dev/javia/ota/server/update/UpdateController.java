package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.UpdateCreated;
import dev.javia.ota.protocol.api.UpdateDevicesPage;
import dev.javia.ota.protocol.api.UpdatePage;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.api.UpdateView;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.Filters;
import dev.javia.ota.server.web.OpenApiDocument;
import dev.javia.ota.server.web.Paging;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Encoding;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.SchemaProperty;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The operator's side of updates: publishing, the list, one update with its devices and failures, one device's
 * history, and "install now". What devices call is in {@link DeviceApiController}.
 */
@RestController
@Tag(name = OpenApiDocument.OPERATOR)
class UpdateController {

    /** An answer is application/json, whatever else the Accept header allows (application/problem+json too). */
    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;
    private static final String ZIP = "application/zip";

    private final UpdatePublisher publisher;
    private final UpdateProgress progress;
    private final UpdateCatalog catalog;

    UpdateController(UpdatePublisher publisher, UpdateProgress progress, UpdateCatalog catalog) {
        this.publisher = publisher;
        this.progress = progress;
        this.catalog = catalog;
    }

    @PostMapping(path = "/api/v1/updates/create", consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
            produces = JSON)
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(operationId = "createUpdate", summary = "Publish an update and schedule it for the fleet",
            description = """
                    Admin keys only. The package is the ZIP that create_update builds; its update_metadata.json \
                    must agree with the form. The update goes out in a rollout: to every registered device (or the \
                    target_devices, or the devices the target_* filters match) in the phases given (none: one \
                    phase, everyone at once), judged by its rules; its first phase is offered at once unless it \
                    requires approval or starts later. See GET /api/v1/rollouts/{id}.""",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true,
                    content = @Content(mediaType = MediaType.MULTIPART_FORM_DATA_VALUE,
                            schema = @Schema(type = "object",
                                    requiredProperties = {"package", "version", "update_type"}),
                            schemaProperties = {
                                    @SchemaProperty(name = "package", schema = @Schema(type = "string",
                                            format = "binary", description = "the update ZIP")),
                                    @SchemaProperty(name = "signature", schema = @Schema(type = "string",
                                            description = "the package's .sig file (JSON: key_id, signature) as"
                                                    + " create_update --sign-key writes it; required when the server"
                                                    + " requires signed packages, refused when it has no publisher"
                                                    + " keys")),
                                    @SchemaProperty(name = "version", schema = @Schema(type = "string",
                                            example = "v1.2.3", description = "vMAJOR.MINOR.PATCH, above the newest")),
                                    @SchemaProperty(name = "description", schema = @Schema(type = "string",
                                            description = "what the update brings")),
                                    @SchemaProperty(name = "update_type", schema = @Schema(type = "string",
                                            allowableValues = {"scheduled", "urgent"})),
                                    @SchemaProperty(name = "system_packages", schema = @Schema(type = "string",
                                            example = "libopus0,libopus-dev",
                                            description = "Debian packages, comma-separated")),
                                    @SchemaProperty(name = "target_devices", schema = @Schema(type = "string",
                                            description = "device UUIDs, comma-separated; none: the whole fleet")),
                                    @SchemaProperty(name = "phases", schema = @Schema(type = "string",
                                            example = "1,1%,10%,50%,100%", description = "cumulative phases: a"
                                                    + " device count or a share of the target, ending at 100%;"
                                                    + " none: one phase")),
                                    @SchemaProperty(name = "soak", schema = @Schema(type = "string", example = "1h",
                                            description = "how long each phase runs before it may advance")),
                                    @SchemaProperty(name = "require_approval", schema = @Schema(type = "boolean",
                                            description = "nothing starts until another admin approves")),
                                    @SchemaProperty(name = "success_threshold", schema = @Schema(type = "string",
                                            example = "95%", description = "installed share a phase needs to"
                                                    + " advance")),
                                    @SchemaProperty(name = "failure_threshold", schema = @Schema(type = "string",
                                            example = "20%", description = "failed and silent share that pauses"
                                                    + " the rollout")),
                                    @SchemaProperty(name = "min_finished", schema = @Schema(type = "integer",
                                            description = "finished devices a phase needs to advance (default 5)")),
                                    @SchemaProperty(name = "min_sample", schema = @Schema(type = "integer",
                                            description = "judged devices the failure rule needs (default 5)")),
                                    @SchemaProperty(name = "install_timeout", schema = @Schema(type = "string",
                                            example = "2h", description = "a started device silent this long"
                                                    + " counts as failed")),
                                    @SchemaProperty(name = "max_concurrent", schema = @Schema(type = "integer",
                                            description = "at most this many devices offered and not finished at"
                                                    + " once")),
                                    @SchemaProperty(name = "start_at", schema = @Schema(type = "string",
                                            format = "date-time", description = "when the rollout starts")),
                                    @SchemaProperty(name = "auto_rollback", schema = @Schema(type = "boolean",
                                            description = "roll the devices back when the failure rule trips")),
                                    @SchemaProperty(name = "target_version", schema = @Schema(type = "string",
                                            description = "only devices that run this version")),
                                    @SchemaProperty(name = "target_status", schema = @Schema(type = "string",
                                            allowableValues = {"online", "offline", "updating"},
                                            description = "only devices in this status")),
                                    @SchemaProperty(name = "target_timezone", schema = @Schema(type = "string",
                                            description = "only devices in this timezone")),
                                    @SchemaProperty(name = "target_metadata", schema = @Schema(type = "string",
                                            example = "model=pi4,room=kitchen",
                                            description = "only devices whose metadata holds these pairs"))},
                            encoding = {@Encoding(name = "package", contentType = ZIP),
                                    @Encoding(name = "signature", contentType = JSON)})))
    @ApiResponse(responseCode = "201", useReturnTypeSchema = true,
            description = "Published: the update, and for how many devices it was scheduled")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    @ApiResponse(responseCode = "413", ref = OpenApiDocument.PAYLOAD_TOO_LARGE)
    UpdateCreated create(@RequestPart("package") @Parameter(hidden = true) MultipartFile pkg,
            @RequestPart(name = "signature", required = false) @Parameter(hidden = true) MultipartFile signatureFile,
            @RequestParam("version") @Parameter(hidden = true) String version,
            @RequestParam(name = "description", required = false) @Parameter(hidden = true) String description,
            @RequestParam("update_type") @Parameter(hidden = true) String updateType,
            @RequestParam(name = "system_packages", required = false) @Parameter(hidden = true) String systemPackages,
            @RequestParam(name = "target_devices", required = false) @Parameter(hidden = true) String targetDevices,
            @RequestParam @Parameter(hidden = true) Map<String, String> fields,
            @Parameter(hidden = true) Caller caller) {
        UpdateForm form = UpdateForm.parse(version, description, updateType, systemPackages, targetDevices);
        RolloutPlan plan = RolloutPlan.parse(new RolloutPlan.Fields(fields.get("phases"), fields.get("soak"),
                fields.get("require_approval"), fields.get("success_threshold"), fields.get("failure_threshold"),
                fields.get("min_finished"), fields.get("min_sample"), fields.get("install_timeout"),
                fields.get("max_concurrent"), fields.get("start_at"), fields.get("auto_rollback"),
                fields.get("target_version"), fields.get("target_status"), fields.get("target_timezone"),
                fields.get("target_metadata")), form.targetDevices());
        return publisher.publish(form, plan, pkg, signatureText(signatureFile, fields.get("signature")), caller);
    }

    /** The signature as a file part (curl -F signature=@update_v1.2.3.zip.sig) or as a text field. */
    static String signatureText(MultipartFile file, String field) {
        if (file == null) {
            return field;
        }
        if (file.getSize() > UpdatePublisher.MAX_SIGNATURE_CHARS) {
            throw ApiException.badRequest("the signature is longer than " + UpdatePublisher.MAX_SIGNATURE_CHARS
                    + " bytes: send the package's .sig file as create_update --sign-key writes it");
        }
        try {
            return new String(file.getBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the signature part", e);
        }
    }

    @GetMapping(path = {"/api/v1/updates", "/api/v1/updates/"}, produces = JSON)
    @Operation(operationId = "listUpdates",
            summary = "The published updates, newest version first, a page at a time, with their devices' statuses",
            description = """
                    Admin keys only. Paged and filtered like the device list: every filter given must hold, a blank \
                    one is no filter. `status_counts` says how many of each update's devices stand in each status.""")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "One page of updates")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    UpdatePage list(
            @RequestParam(required = false) @Parameter(description = "only this version, e.g. v1.2.3") String version,
            @RequestParam(name = "update_type", required = false) @Parameter(description = "only updates of this type",
                    schema = @Schema(allowableValues = {"scheduled", "urgent"})) String updateType,
            @RequestParam(required = false) @Parameter(
                    description = "only updates with at least one device in this status, e.g. failed",
                    schema = @Schema(allowableValues = {"pending", "downloading", "installing", "completed",
                            "failed", "superseded"})) String status,
            @RequestParam(defaultValue = "0") @Parameter(description = "the page, from 0",
                    schema = @Schema(type = "integer", format = "int32", minimum = "0", defaultValue = "0")) int page,
            @RequestParam(defaultValue = "100") @Parameter(description = "updates per page",
                    schema = @Schema(type = "integer", format = "int32", minimum = "1",
                            maximum = "" + Paging.MAX_PAGE_SIZE, defaultValue = "100")) int size) {
        Paging.check(page, size);
        return catalog.list(Filters.text(version), Filters.parsed(updateType, UpdateType::parse),
                Filters.parsed(status, UpdateStatus::parse), page, size);
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
        return catalog.devices(id, Filters.parsed(status, UpdateStatus::parse), page, size);
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
            @PathVariable @Parameter(description = OpenApiDocument.DEVICE_UUID) String deviceUuid,
            @Parameter(hidden = true) Caller caller) {
        return progress.installNow(caller, id, deviceUuid);
    }

    @PostMapping(path = "/api/v1/updates/{id}/devices/{deviceUuid}/retry", produces = JSON)
    @Operation(operationId = "retryDeviceUpdate", summary = "One device tries a failed update again",
            description = """
                    Admin keys only. The failed update is pending again and due now: the device installs it at its \
                    next check, once idle as usual. Only a failed update, and only while the device has no other \
                    update open; the audit log keeps the error it had.""")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The device's progress, pending again")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    DeviceUpdateView retry(@PathVariable @Parameter(description = "the update's id") UUID id,
            @PathVariable @Parameter(description = OpenApiDocument.DEVICE_UUID) String deviceUuid,
            @Parameter(hidden = true) Caller caller) {
        return progress.retry(caller, id, deviceUuid);
    }
}
