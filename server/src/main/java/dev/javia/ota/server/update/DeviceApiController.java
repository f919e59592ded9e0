package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.DeviceRegistration;
import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.DeviceWake;
import dev.javia.ota.protocol.api.Heartbeat;
import dev.javia.ota.protocol.api.HeartbeatReply;
import dev.javia.ota.protocol.api.RegisterDevice;
import dev.javia.ota.protocol.api.StatusReport;
import dev.javia.ota.protocol.api.UpdateCheck;
import dev.javia.ota.server.device.DeviceRegistry;
import dev.javia.ota.server.device.Heartbeats;
import dev.javia.ota.server.metrics.CheckIns;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.storage.PackageStore;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.OpenApiDocument;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRange;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.context.request.async.DeferredResult;

import java.io.IOException;
import java.util.UUID;

/**
 * What the agent calls, at the seed's URLs: registration, the heartbeat (whose answer is the update check too), the
 * check, its reports on an update, and the download. The operator's endpoints are in {@link UpdateController} and
 * the device package's DeviceController. An agent in the field calls these for months: every change is an addition.
 */
@RestController
@Tag(name = OpenApiDocument.DEVICE)
class DeviceApiController {

    /** An answer is application/json, whatever else the Accept header allows (application/problem+json too). */
    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;
    private static final String ZIP = "application/zip";

    private final DeviceRegistry registry;
    private final Heartbeats heartbeats;
    private final UpdateChecks checks;
    private final UpdateProgress progress;
    private final PackageStore store;
    private final DeviceWaits waits;
    private final CheckIns checkIns;
    private final UpdateDeltas deltas;

    DeviceApiController(DeviceRegistry registry, Heartbeats heartbeats, UpdateChecks checks, UpdateProgress progress,
            PackageStore store, DeviceWaits waits, CheckIns checkIns, UpdateDeltas deltas) {
        this.deltas = deltas;
        this.waits = waits;
        this.checkIns = checkIns;
        this.registry = registry;
        this.heartbeats = heartbeats;
        this.checks = checks;
        this.progress = progress;
        this.store = store;
    }

    @PostMapping(path = "/api/v1/devices/register", produces = JSON)
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(operationId = "registerDevice", summary = "Register a device, or give a known one a new token",
            description = """
                    The agent calls it at first start with the enrollment key (an admin key works too), giving its \
                    public_key, which is then bound to the uuid. A device that registers again keeps its records and \
                    gets a new token; its old token stops working on every server instance. A uuid bound to a key \
                    registers again only with that key's proof (challenge from POST /api/v1/devices/challenge, and \
                    signature), and then needs no X-API-Key; without the proof it is refused (403), and with another \
                    public_key too (409: an operator resets the device's key first).""")
    @ApiResponse(responseCode = "201", useReturnTypeSchema = true,
            description = "The device, and its token: the token opens only this device's endpoints")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    DeviceRegistration register(@RequestBody(required = false) RegisterDevice request,
            @Parameter(hidden = true) @Nullable Caller caller) {
        return registry.register(caller, request).registration();
    }

    /** A heartbeat also answers the update check: one request for each device every five minutes does both. */
    @PostMapping(path = "/api/v1/devices/{deviceUuid}/heartbeat", produces = JSON)
    @Operation(operationId = "sendHeartbeat", summary = "The device is alive; the answer includes the update check",
            description = """
                    The device's own token (or an admin key). Every field of the body is optional. agent_version and \
                    package_format say which agent sends it and the newest package format it reads: a device whose \
                    heartbeats never said package_format (an agent before agent releases) reads format 1 only, and \
                    an update whose package carries an agent release (format 2) fails on it at its check, saying \
                    how to upgrade the agent, instead of being offered.""")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true,
            description = "What the server recorded, when to call again, and the update check's answer")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    HeartbeatReply heartbeat(@PathVariable @Parameter(description = OpenApiDocument.DEVICE_UUID) String deviceUuid,
            @RequestBody(required = false) Heartbeat heartbeat, @Parameter(hidden = true) Caller caller) {
        HeartbeatReply reply = heartbeats.receive(caller, deviceUuid, heartbeat);
        checkIns.heartbeat();
        return reply.withUpdateCheck(checks.check(caller, deviceUuid));
    }

    @GetMapping(path = "/api/v1/devices/{deviceUuid}/updates/check", produces = JSON)
    @Operation(operationId = "checkForUpdate", summary = "The update the device should install, if any",
            description = "The device's own token (or an admin key).")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true,
            description = "The open update and when it is due; update_available false when there is none")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    UpdateCheck check(@PathVariable @Parameter(description = OpenApiDocument.DEVICE_UUID) String deviceUuid,
            @Parameter(hidden = true) Caller caller) {
        UpdateCheck check = checks.check(caller, deviceUuid);
        checkIns.check();
        return check;
    }

    /** The long poll: no thread is held while it waits ({@link DeviceWaits}). */
    @GetMapping(path = "/api/v1/devices/{deviceUuid}/wait", produces = JSON)
    @Operation(operationId = "waitForChange", summary = "Wait until the device has something new to check for",
            description = """
                    The device's own token (or an admin key). Held until what the server offers the device differs \
                    from cursor, the push_cursor of its last check (an update published, a phase opened, a rollout \
                    resumed, an operator's action; answered at once when it already does), then check_now true: \
                    the device runs its update check now. After the hold (OTA_PUSH_HOLD, 50 s) check_now false: it \
                    waits again. One wait per device (a second ends the first); past this instance's most \
                    (OTA_PUSH_MAX_WAITS) 503 with Retry-After, and the device polls as before. Polling stays the \
                    fallback: a device that never waits is served as before.""")
    @ApiResponse(responseCode = "200", description = "Check now, or the hold ended with nothing new",
            content = @Content(mediaType = JSON, schema = @Schema(implementation = DeviceWake.class)))
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    DeferredResult<DeviceWake> waitForChange(
            @PathVariable @Parameter(description = OpenApiDocument.DEVICE_UUID) String deviceUuid,
            @RequestParam(required = false) @Parameter(description = "the push_cursor of the device's last check",
                    example = "9c1d2e3f4a5b6c7d") String cursor,
            @Parameter(hidden = true) Caller caller) {
        return waits.open(caller, deviceUuid, cursor);
    }

    @PostMapping(path = "/api/v1/updates/{id}/status", produces = JSON)
    @Operation(operationId = "reportUpdateStatus", summary = "A device reports a step of an update",
            description = """
                    The device's own token (device_uuid may then be left out), or an admin key with device_uuid. \
                    A step the update cannot take from where it is answers 409, saying what may come next.""")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true,
            description = "The device's progress with the update")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    DeviceUpdateView report(@PathVariable @Parameter(description = "the update's id") UUID id,
            @RequestBody(required = false) StatusReport report, @Parameter(hidden = true) Caller caller) {
        return progress.report(id, report, caller);
    }

    /** Streams the package; Spring answers Range requests (206, 416) from the same resource. */
    @GetMapping("/api/v1/updates/{id}/download")
    @Operation(operationId = "downloadUpdate", summary = "The update's package (the ZIP), resumable with Range",
            description = """
                    A device token for an update scheduled for its device, or an admin key. The ETag is the \
                    package's SHA-256 in quotes.""")
    @Parameter(in = ParameterIn.HEADER, name = HttpHeaders.RANGE, description = "resume a broken download",
            schema = @Schema(type = "string", example = "bytes=1048576-"))
    @Parameter(in = ParameterIn.HEADER, name = HttpHeaders.IF_NONE_MATCH,
            description = "the ETag of the copy the device has", schema = @Schema(type = "string"))
    @ApiResponse(responseCode = "200", description = "The whole package",
            headers = {@Header(name = HttpHeaders.ETAG, schema = @Schema(type = "string")),
                    @Header(name = HttpHeaders.ACCEPT_RANGES, schema = @Schema(type = "string", example = "bytes")),
                    @Header(name = HttpHeaders.CONTENT_DISPOSITION, schema = @Schema(type = "string"))},
            content = @Content(mediaType = ZIP, schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "206", description = "The requested range (several ranges: multipart/byteranges)",
            headers = @Header(name = HttpHeaders.CONTENT_RANGE, schema = @Schema(type = "string")),
            content = {@Content(mediaType = ZIP, schema = @Schema(type = "string", format = "binary")),
                    @Content(mediaType = "multipart/byteranges", schema = @Schema(type = "string", format = "binary"))})
    @ApiResponse(responseCode = "302", description = """
            The package is in a store that serves it (OTA_STORAGE=s3, OTA_S3_DOWNLOADS=redirect): Location is a \
            short-lived presigned URL on another origin, which takes Range; send no API key there.""",
            headers = @Header(name = HttpHeaders.LOCATION, schema = @Schema(type = "string", format = "uri")),
            content = @Content)
    @ApiResponse(responseCode = "304", description = "If-None-Match names this package: the device's copy is current",
            content = @Content)
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "416",
            description = "The Range is unreadable or outside the package; Content-Range gives its size",
            headers = @Header(name = HttpHeaders.CONTENT_RANGE,
                    schema = @Schema(type = "string", example = "bytes */48213")),
            content = @Content(mediaType = OpenApiDocument.PROBLEM_JSON,
                    schema = @Schema(ref = OpenApiDocument.PROBLEM)))
    @ApiResponse(responseCode = "500", ref = OpenApiDocument.SERVER_ERROR)
    ResponseEntity<Resource> download(@PathVariable @Parameter(description = "the update's id") UUID id,
            @Parameter(hidden = true) Caller caller, WebRequest request) throws IOException {
        Update update = progress.downloadable(id, caller);
        return serve(update.storageKey(), update.sha256(), "update_" + update.version() + ".zip",
                "the package of " + update.version(), request);
    }

    /** The delta, served as the package is; the agent falls back to the package on any trouble with it. */
    @GetMapping("/api/v1/updates/{id}/deltas/{baseVersion}/download")
    @Operation(operationId = "downloadDelta",
            summary = "The update's delta from a base version (a ZIP), resumable with Range",
            description = """
                    What the offer's delta.url names: the files the update changes against base_version, and its \
                    update_metadata.json. The same rules as the package: a device token for an update scheduled for \
                    its device, or an admin key; the ETag is the delta's SHA-256 in quotes; a store that serves \
                    downloads redirects (302). 404 when no delta from that version was made (a device on it \
                    downloads the package).""")
    @Parameter(in = ParameterIn.HEADER, name = HttpHeaders.RANGE, description = "resume a broken download",
            schema = @Schema(type = "string", example = "bytes=1024-"))
    @Parameter(in = ParameterIn.HEADER, name = HttpHeaders.IF_NONE_MATCH,
            description = "the ETag of the copy the device has", schema = @Schema(type = "string"))
    @ApiResponse(responseCode = "200", description = "The whole delta",
            headers = {@Header(name = HttpHeaders.ETAG, schema = @Schema(type = "string")),
                    @Header(name = HttpHeaders.ACCEPT_RANGES, schema = @Schema(type = "string", example = "bytes")),
                    @Header(name = HttpHeaders.CONTENT_DISPOSITION, schema = @Schema(type = "string"))},
            content = @Content(mediaType = ZIP, schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "206", description = "The requested range (several ranges: multipart/byteranges)",
            headers = @Header(name = HttpHeaders.CONTENT_RANGE, schema = @Schema(type = "string")),
            content = {@Content(mediaType = ZIP, schema = @Schema(type = "string", format = "binary")),
                    @Content(mediaType = "multipart/byteranges", schema = @Schema(type = "string", format = "binary"))})
    @ApiResponse(responseCode = "302", description = """
            The delta is in a store that serves it (OTA_STORAGE=s3, OTA_S3_DOWNLOADS=redirect): Location is a \
            short-lived presigned URL on another origin, which takes Range; send no API key there.""",
            headers = @Header(name = HttpHeaders.LOCATION, schema = @Schema(type = "string", format = "uri")),
            content = @Content)
    @ApiResponse(responseCode = "304", description = "If-None-Match names this delta: the device's copy is current",
            content = @Content)
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "416",
            description = "The Range is unreadable or outside the delta; Content-Range gives its size",
            headers = @Header(name = HttpHeaders.CONTENT_RANGE,
                    schema = @Schema(type = "string", example = "bytes */2231")),
            content = @Content(mediaType = OpenApiDocument.PROBLEM_JSON,
                    schema = @Schema(ref = OpenApiDocument.PROBLEM)))
    @ApiResponse(responseCode = "500", ref = OpenApiDocument.SERVER_ERROR)
    ResponseEntity<Resource> downloadDelta(@PathVariable @Parameter(description = "the update's id") UUID id,
            @PathVariable @Parameter(description = "the version the delta starts from", example = "v1.2.2")
            String baseVersion, @Parameter(hidden = true) Caller caller, WebRequest request) throws IOException {
        Update update = progress.downloadable(id, caller);
        UpdateDeltas.Delta delta = deltas.find(update.id(), baseVersion).orElseThrow(() -> ApiException.notFound(
                "no delta of " + update.version() + " from " + shown(baseVersion) + " was made: download the"
                        + " package (" + ApiPaths.download(update.id()) + ")"));
        return serve(delta.storageKey(), delta.sha256(), "delta_" + delta.baseVersion() + "_to_" + update.version()
                + ".zip", "the delta of " + update.version() + " from " + delta.baseVersion(), request);
    }

    /**
     * A stored file, as a device downloads it: 304 when If-None-Match names it, a redirect when the store serves
     * downloads itself, else streamed with Range.
     */
    private ResponseEntity<Resource> serve(String key, String sha256, String filename, String what,
            WebRequest request) throws IOException {
        String etag = "\"" + sha256 + "\"";
        if (request.checkNotModified(etag)) {
            return null;
        }
        // a store that serves downloads itself gets the device for a short while, without its token (the agent
        // drops it on a redirect to another origin); the URL is not cached, so a retry after it expired asks again
        java.util.Optional<java.net.URI> direct = store.directDownload(key);
        if (direct.isPresent()) {
            return ResponseEntity.status(HttpStatus.FOUND).location(direct.get())
                    .cacheControl(CacheControl.noStore()).build();
        }
        Resource resource;
        try {
            resource = store.open(key);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, what
                    + " is missing from the server's storage: restore it or publish a new version");
        }
        checkRange(request.getHeader(HttpHeaders.RANGE), resource);
        return ResponseEntity.ok()
                .eTag(etag)
                .contentType(MediaType.parseMediaType(ZIP))
                .header(HttpHeaders.ACCEPT_RANGES, "bytes")
                .header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment()
                        .filename(filename).build().toString())
                .cacheControl(CacheControl.noCache())
                .body(resource);
    }

    /** A path segment as a refusal quotes it: short, and only what a version may hold. */
    private static String shown(String text) {
        String cut = text.length() > 40 ? text.substring(0, 40) + "…" : text;
        return "'" + cut.replaceAll("[^A-Za-z0-9.+_-]", "?") + "'";
    }

    /**
     * Refuses a Range the package cannot serve before Spring does: Spring answers it with 416 but still writes the
     * whole package as the body, so a device resuming with a wrong offset would fetch it all for nothing.
     */
    private static void checkRange(String range, Resource resource) throws IOException {
        if (range == null) {
            return;
        }
        try {
            HttpRange.toResourceRegions(HttpRange.parseRanges(range), resource);
        } catch (IllegalArgumentException e) {
            long size = resource.contentLength();
            ApiException refusal = new ApiException(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "the Range '"
                    + range + "' is not within the package's " + size + " bytes: resume with bytes=N- and N below "
                    + size + ", or download it whole without Range");
            refusal.getHeaders().set(HttpHeaders.CONTENT_RANGE, "bytes */" + size);
            throw refusal;
        }
    }
}
