package dev.javia.ota.server.device;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.ChallengeRequest;
import dev.javia.ota.protocol.api.DeviceChallenge;
import dev.javia.ota.protocol.api.DeviceKeyReset;
import dev.javia.ota.protocol.api.DeviceView;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.OpenApiDocument;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirements;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Device keys: the challenge a device bound to a key signs to register again (anonymous: only the key's holder can
 * use it), and the operator's reset of a device whose key is lost.
 */
@RestController
class DeviceKeyController {

    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;

    private final DeviceChallenges challenges;
    private final DeviceRegistry registry;
    private final DeviceViews views;

    DeviceKeyController(DeviceChallenges challenges, DeviceRegistry registry, DeviceViews views) {
        this.challenges = challenges;
        this.registry = registry;
        this.views = views;
    }

    @PostMapping(path = ApiPaths.CHALLENGE, produces = JSON)
    @Tag(name = OpenApiDocument.DEVICE)
    @SecurityRequirements
    @Operation(operationId = "challengeDevice", summary = "A fresh challenge for a device bound to a key",
            description = """
                    No key needed. The agent asks for one before it registers a uuid that is bound to its key, signs \
                    it (the purpose line, the uuid, a line break, the challenge) and registers with challenge and \
                    signature. One challenge per device is outstanding (a newer one replaces it); it lives five \
                    minutes and registers once. 404 when the uuid is not registered or has no key bound: register \
                    with the enrollment key then.""")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The challenge and its expiry")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    DeviceChallenge challenge(@RequestBody(required = false) ChallengeRequest request) {
        if (request == null) {
            throw ApiException.badRequest("the request needs a JSON body with device_uuid, e.g. {\"device_uuid\":"
                    + " \"0190f7a4-5b6c-7d8e-9f00-112233445566\"}");
        }
        String uuid = DeviceFields.deviceUuid(request.deviceUuid());
        return challenges.issue(uuid).orElseThrow(() -> ApiException.notFound("device " + uuid + " is not registered"
                + " or has no key bound: it registers with the enrollment key (and its public_key, which binds it)"));
    }

    @PostMapping(path = ApiPaths.BASE + "/devices/{deviceUuid}/reset-key", produces = JSON)
    @Tag(name = OpenApiDocument.OPERATOR)
    @Operation(operationId = "resetDeviceKey", summary = "Unbind a device's key and revoke its token",
            description = """
                    Admin keys only. For a device whose key is lost (a new SD card, a re-imaged Pi): its key is \
                    unbound and its token stops working on every server instance at once; its next registration, \
                    with the enrollment key, binds its new key. Body `{"reason": "..."}` optional, kept in the audit \
                    log (`device.key_reset`).""")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The device, without a key")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    DeviceView resetKey(@PathVariable @Parameter(description = OpenApiDocument.DEVICE_UUID) String deviceUuid,
            @RequestBody(required = false) DeviceKeyReset reset, @Parameter(hidden = true) Caller caller) {
        return views.of(registry.resetKey(caller, deviceUuid, reset == null ? DeviceKeyReset.NONE : reset));
    }
}
