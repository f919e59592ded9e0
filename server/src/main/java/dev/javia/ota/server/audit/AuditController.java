package dev.javia.ota.server.audit;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.AuditPage;
import dev.javia.ota.server.web.OpenApiDocument;
import dev.javia.ota.server.web.Paging;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;


/** The operator's read of the audit log (admin keys only: SecurityConfiguration admits admins to unlisted routes). */
@RestController
@Tag(name = OpenApiDocument.OPERATOR)
class AuditController {

    private final AuditEntries entries;

    AuditController(AuditEntries entries) {
        this.entries = entries;
    }

    @GetMapping(path = ApiPaths.AUDIT, produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "listAudit", summary = "The audit log: who did what, newest first, a page at a time",
            description = """
                    Admin keys only. One entry per operator action (publishing, changing a device, install now, a \
                    device's token issued at registration, rollout actions, subscribing, changing or deleting a \
                    webhook), each with the actor (the admin key's name, `enrollment`, or `system` for what the \
                    server did by itself), the caller's address, the action, its target and its details. Paged and \
                    filtered like the device list: every filter given must hold, a blank one is no filter; `since` \
                    is inclusive, `until` exclusive. Entries are never changed or removed.""")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "One page of the audit log")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    AuditPage list(
            @RequestParam(required = false) @Parameter(description = "only entries by this actor, e.g. alice")
            String actor,
            @RequestParam(required = false) @Parameter(description = "only this action, e.g. update.published")
            String action,
            @RequestParam(name = "target_type", required = false) @Parameter(
                    description = "only actions on this kind of thing, e.g. update, device, rollout, webhook")
            String targetType,
            @RequestParam(name = "target_id", required = false) @Parameter(
                    description = "only actions on this one, e.g. a device's uuid or an update's id")
            String targetId,
            @RequestParam(required = false) @Parameter(description = "only entries at or after this instant",
                    schema = @Schema(type = "string", format = "date-time", example = "2026-06-15T00:00:00Z"))
            String since,
            @RequestParam(required = false) @Parameter(description = "only entries before this instant",
                    schema = @Schema(type = "string", format = "date-time", example = "2026-06-16T00:00:00Z"))
            String until,
            @RequestParam(defaultValue = "0") @Parameter(description = "the page, from 0",
                    schema = @Schema(type = "integer", format = "int32", minimum = "0", defaultValue = "0")) int page,
            @RequestParam(defaultValue = "100") @Parameter(description = "entries per page",
                    schema = @Schema(type = "integer", format = "int32", minimum = "1",
                            maximum = "" + Paging.MAX_PAGE_SIZE, defaultValue = "100")) int size) {
        Paging.check(page, size);
        return entries.page(AuditEntries.Filter.of(actor, action, targetType, targetId, since, until), page, size);
    }
}
