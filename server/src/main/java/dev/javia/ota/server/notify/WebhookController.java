package dev.javia.ota.server.notify;

import dev.javia.ota.protocol.api.DeliveryStatus;
import dev.javia.ota.protocol.api.WebhookChange;
import dev.javia.ota.protocol.api.WebhookCreate;
import dev.javia.ota.protocol.api.WebhookCreated;
import dev.javia.ota.protocol.api.WebhookDeliveryPage;
import dev.javia.ota.protocol.api.WebhookPage;
import dev.javia.ota.protocol.api.WebhookView;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.Filters;
import dev.javia.ota.server.web.OpenApiDocument;
import dev.javia.ota.server.web.Paging;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;

/** The operator's webhooks: subscribe, list, change, unsubscribe, and read what each was sent. Admin keys only. */
@RestController
@RequestMapping("/api/v1/webhooks")
@Tag(name = OpenApiDocument.OPERATOR)
class WebhookController {

    /** An answer is application/json, whatever else the Accept header allows (application/problem+json too). */
    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;
    private static final String MERGE_PATCH = "application/merge-patch+json";
    private static final Set<String> CHANGEABLE = Set.of("url", "events", "enabled", "secret", "description");
    /** Reads a merge patch into its record once its fields are known; unknown fields are refused before. */
    private static final JsonMapper PATCH_READER = JsonMapper.builder().build();

    private final Webhooks webhooks;

    WebhookController(Webhooks webhooks) {
        this.webhooks = webhooks;
    }

    @PostMapping(consumes = JSON, produces = JSON)
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(operationId = "createWebhook", summary = "Subscribe a URL to the server's events",
            description = """
                    Admin keys only. Events are posted to `url` as JSON (see docs/api/examples/webhook-event.json), \
                    signed with `secret` in X-Javia-Signature (docs/operations.md, "Notifications"). `events` names \
                    the types (device.update_failed, rollout.phase_advanced, rollout.paused, rollout.finished, \
                    rollout.cancelled, rollout.approval_requested), or `["*"]` (the default) for all. Without a \
                    `secret` the server makes one; this answer is the only one that shows it. The URL must be http(s) \
                    without user info, and resolve to public addresses unless the server allows private ones.""")
    @ApiResponse(responseCode = "201", useReturnTypeSchema = true,
            description = "Subscribed: the webhook and its secret, shown this once")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    WebhookCreated create(@RequestBody(required = false) WebhookCreate request,
            @Parameter(hidden = true) Caller caller) {
        return webhooks.create(caller, request);
    }

    @GetMapping(produces = JSON)
    @Operation(operationId = "listWebhooks", summary = "The webhooks, newest first, a page at a time",
            description = "Admin keys only. Secrets are never shown.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "One page of webhooks")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    WebhookPage list(
            @RequestParam(defaultValue = "0") @Parameter(description = "the page, from 0",
                    schema = @Schema(type = "integer", format = "int32", minimum = "0", defaultValue = "0")) int page,
            @RequestParam(defaultValue = "100") @Parameter(description = "webhooks per page",
                    schema = @Schema(type = "integer", format = "int32", minimum = "1",
                            maximum = "" + Paging.MAX_PAGE_SIZE, defaultValue = "100")) int size) {
        Paging.check(page, size);
        return webhooks.list(page, size);
    }

    @GetMapping(path = "/{id}", produces = JSON)
    @Operation(operationId = "getWebhook", summary = "One webhook", description = "Admin keys only. No secret.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The webhook")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    WebhookView one(@PathVariable @Parameter(description = "the webhook's id") UUID id) {
        return webhooks.one(id);
    }

    @PatchMapping(path = "/{id}", consumes = {JSON, MERGE_PATCH}, produces = JSON)
    @Operation(operationId = "changeWebhook", summary = "Change a webhook's URL, events, secret, or pause it",
            description = """
                    Admin keys only. A JSON merge patch (RFC 7396): a field left out stays as it is. \
                    `"enabled": false` pauses deliveries (queued ones wait, new events are not queued for it); a new \
                    `secret` signs every delivery from then on and is not answered back.""",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = JSON, schema = @Schema(implementation = WebhookChange.class)),
                    @Content(mediaType = MERGE_PATCH, schema = @Schema(implementation = WebhookChange.class))}))
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The webhook as changed")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    WebhookView change(@PathVariable @Parameter(description = "the webhook's id") UUID id,
            @RequestBody(required = false) @Parameter(hidden = true) JsonNode patch,
            @Parameter(hidden = true) Caller caller) {
        if (patch == null || !patch.isObject() || patch.isEmpty()) {
            throw ApiException.badRequest("send a JSON object with the fields to change: some of url, events,"
                    + " enabled, secret, description");
        }
        Set<String> present = new LinkedHashSet<>();
        for (String field : patch.propertyNames()) {
            if (!CHANGEABLE.contains(field)) {
                throw ApiException.badRequest("'" + field + "' cannot be changed here: send url, events, enabled,"
                        + " secret or description");
            }
            present.add(field);
        }
        WebhookChange change;
        try {
            change = PATCH_READER.treeToValue(patch, WebhookChange.class);
        } catch (JacksonException e) {
            throw ApiException.badRequest("url, secret and description must be text, events an array of event"
                    + " types such as [\"device.update_failed\"], enabled true or false");
        }
        return webhooks.change(caller, id, change, present);
    }

    @DeleteMapping(path = "/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @Operation(operationId = "deleteWebhook", summary = "Unsubscribe a webhook",
            description = "Admin keys only. Its queued deliveries and its delivery log go with it.")
    @ApiResponse(responseCode = "204", description = "Deleted")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    void delete(@PathVariable @Parameter(description = "the webhook's id") UUID id,
            @Parameter(hidden = true) Caller caller) {
        webhooks.delete(caller, id);
    }

    @GetMapping(path = "/{id}/deliveries", produces = JSON)
    @Operation(operationId = "listWebhookDeliveries",
            summary = "What a webhook was sent: each event's delivery, newest first, a page at a time",
            description = """
                    Admin keys only. `attempts` counts the tries, `last_status` is the receiver's last HTTP status \
                    (null when it could not be reached), `last_error` says why the last try failed; a pending \
                    delivery is tried again at `next_attempt_at`, until it is a day old and becomes failed.""")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "One page of deliveries")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    WebhookDeliveryPage deliveries(@PathVariable @Parameter(description = "the webhook's id") UUID id,
            @RequestParam(required = false) @Parameter(description = "only deliveries in this status",
                    schema = @Schema(allowableValues = {"pending", "delivered", "failed"})) String status,
            @RequestParam(defaultValue = "0") @Parameter(description = "the page, from 0",
                    schema = @Schema(type = "integer", format = "int32", minimum = "0", defaultValue = "0")) int page,
            @RequestParam(defaultValue = "100") @Parameter(description = "deliveries per page",
                    schema = @Schema(type = "integer", format = "int32", minimum = "1",
                            maximum = "" + Paging.MAX_PAGE_SIZE, defaultValue = "100")) int size) {
        Paging.check(page, size);
        return webhooks.deliveries(id, Filters.parsed(status, DeliveryStatus::parse), page, size);
    }
}
