package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.RolloutAction;
import dev.javia.ota.protocol.api.RolloutCreate;
import dev.javia.ota.protocol.api.RolloutPage;
import dev.javia.ota.protocol.api.RolloutState;
import dev.javia.ota.protocol.api.RolloutView;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.Filters;
import dev.javia.ota.server.web.OpenApiDocument;
import dev.javia.ota.server.web.Paging;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.util.UUID;

/**
 * The operator's rollouts: the list, one rollout with its phases and rules, and the actions on it as POST
 * sub-resources. Every action answers the rollout as it stands after it; a refused one is a 409 that says what can be
 * done instead.
 */
@RestController
@Tag(name = OpenApiDocument.OPERATOR)
class RolloutController {

    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;
    private static final String ID = "the rollout's id";

    private final Rollouts rollouts;

    RolloutController(Rollouts rollouts) {
        this.rollouts = rollouts;
    }

    @GetMapping(path = "/api/v1/rollouts", produces = JSON)
    @Operation(operationId = "listRollouts", summary = "The rollouts, newest first, a page at a time",
            description = "Admin keys only. Each with its phases, their devices by status, its rules and what"
                    + " happens next.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "One page of rollouts")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    RolloutPage list(
            @RequestParam(required = false) @Parameter(description = "only rollouts in this state",
                    schema = @Schema(allowableValues = {"awaiting_approval", "scheduled", "running", "paused",
                            "cancelled", "finished"})) String state,
            @RequestParam(required = false) @Parameter(description = "only rollouts of this version, e.g. v1.2.3")
            String version,
            @RequestParam(defaultValue = "0") @Parameter(description = "the page, from 0",
                    schema = @Schema(type = "integer", format = "int32", minimum = "0", defaultValue = "0")) int page,
            @RequestParam(defaultValue = "100") @Parameter(description = "rollouts per page",
                    schema = @Schema(type = "integer", format = "int32", minimum = "1",
                            maximum = "" + Paging.MAX_PAGE_SIZE, defaultValue = "100")) int size) {
        Paging.check(page, size);
        return rollouts.list(Filters.parsed(state, RolloutState::parse), Filters.text(version), page, size);
    }

    @GetMapping(path = "/api/v1/rollouts/{id}", produces = JSON)
    @Operation(operationId = "getRollout", summary = "One rollout: its phases, counts per status, rules and next step",
            description = "Admin keys only. `next` says what the reconciler does next and `next_at` from when;"
                    + " `paused_reason` why it paused.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The rollout")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    RolloutView one(@PathVariable @Parameter(description = ID) UUID id) {
        return rollouts.view(id);
    }

    @PostMapping(path = "/api/v1/rollouts", produces = JSON)
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(operationId = "createRollout", summary = "Roll out an already published update again",
            description = """
                    Admin keys only. A new rollout of a published version, with the rollout fields of \
                    POST /api/v1/updates/create in the same formats (none given: one phase, every device that needs \
                    it, at once): e.g. after its rollout was cancelled, or for devices its first target left out. \
                    Refused (409) while the version has a rollout that has not ended (awaiting approval, scheduled, \
                    running or paused), and (404) for a version that is not published. Audit-logged as \
                    rollout.created. Answers the new rollout.""")
    @ApiResponse(responseCode = "201", useReturnTypeSchema = true, description = "The new rollout")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    RolloutView create(@RequestBody RolloutCreate request, @Parameter(hidden = true) Caller caller) {
        if (request == null) {
            throw ApiException.badRequest("the body must be a JSON object with at least the version to roll out,"
                    + " e.g. {\"version\": \"v1.2.3\", \"phases\": \"1,10%,100%\"}");
        }
        RolloutPlan plan = RolloutPlan.parse(new RolloutPlan.Fields(request.phases(), request.soak(),
                text(request.requireApproval()), request.successThreshold(), request.failureThreshold(),
                text(request.minFinished()), text(request.minSample()), request.installTimeout(),
                text(request.maxConcurrent()), text(request.startAt()), text(request.autoRollback()),
                request.targetVersion(), request.targetStatus(), request.targetTimezone(), request.targetMetadata()),
                UpdateForm.targets(request.targetDevices() == null ? null
                        : String.join(",", request.targetDevices())));
        return view(rollouts.release(request.version(), plan, new Rollouts.Actor(caller)).rollout());
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    @PostMapping(path = "/api/v1/rollouts/{id}/approve", produces = JSON)
    @Operation(operationId = "approveRollout", summary = "Approve a rollout that requires it",
            description = "Admin keys only, and not the key that created it (unless OTA_APPROVER_MUST_DIFFER=false)."
                    + " It starts at once, or at its start time.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The rollout, approved")
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    RolloutView approve(@PathVariable @Parameter(description = ID) UUID id, @Parameter(hidden = true) Caller caller) {
        return view(rollouts.approve(id, new Rollouts.Actor(caller)));
    }

    @PostMapping(path = "/api/v1/rollouts/{id}/start", produces = JSON)
    @Operation(operationId = "startRollout", summary = "Start a rollout now, or set when it starts",
            description = "Admin keys only. Body `{\"at\": \"2026-12-24T09:00:00Z\"}`; no body or no `at`: now. A"
                    + " rollout awaiting approval keeps waiting for it and starts at that time once approved.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The rollout")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    RolloutView start(@PathVariable @Parameter(description = ID) UUID id,
            @RequestBody(required = false) RolloutAction action, @Parameter(hidden = true) Caller caller) {
        return view(rollouts.start(id, body(action).at(), new Rollouts.Actor(caller)));
    }

    @PostMapping(path = "/api/v1/rollouts/{id}/pause", produces = JSON)
    @Operation(operationId = "pauseRollout", summary = "Pause a rollout: nothing new starts",
            description = "Admin keys only. Devices that have not started are withdrawn (offered again on resume);"
                    + " devices already installing finish and report. Body `{\"reason\": \"...\"}` optional.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The rollout, paused")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    RolloutView pause(@PathVariable @Parameter(description = ID) UUID id,
            @RequestBody(required = false) RolloutAction action, @Parameter(hidden = true) Caller caller) {
        return view(rollouts.pause(id, body(action).reason(), new Rollouts.Actor(caller)));
    }

    @PostMapping(path = "/api/v1/rollouts/{id}/resume", produces = JSON)
    @Operation(operationId = "resumeRollout", summary = "Resume a paused rollout",
            description = "Admin keys only. Its open phase is offered again; the failure rule judges what finishes"
                    + " from now on.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The rollout, running")
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    RolloutView resume(@PathVariable @Parameter(description = ID) UUID id, @Parameter(hidden = true) Caller caller) {
        return view(rollouts.resume(id, new Rollouts.Actor(caller)));
    }

    @PostMapping(path = "/api/v1/rollouts/{id}/advance", produces = JSON)
    @Operation(operationId = "advanceRollout", summary = "Open the next phase now, whatever the rules say",
            description = "Admin keys only. After the last phase the rollout finishes.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The rollout")
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    RolloutView advance(@PathVariable @Parameter(description = ID) UUID id, @Parameter(hidden = true) Caller caller) {
        return view(rollouts.advance(id, new Rollouts.Actor(caller)));
    }

    @PostMapping(path = "/api/v1/rollouts/{id}/cancel", produces = JSON)
    @Operation(operationId = "cancelRollout", summary = "Cancel a rollout",
            description = "Admin keys only. Devices that have not started are withdrawn for good; devices already"
                    + " installing finish and report. Body `{\"reason\": \"...\"}` optional.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The rollout, cancelled")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    RolloutView cancel(@PathVariable @Parameter(description = ID) UUID id,
            @RequestBody(required = false) RolloutAction action, @Parameter(hidden = true) Caller caller) {
        return view(rollouts.cancel(id, body(action).reason(), new Rollouts.Actor(caller)));
    }

    @PostMapping(path = "/api/v1/rollouts/{id}/retry-failed", produces = JSON)
    @Operation(operationId = "retryFailedRollout", summary = "Offer the update again to the rollout's failed devices",
            description = "Admin keys only. A paused rollout offers them when it resumes.")
    @ApiResponse(responseCode = "200", useReturnTypeSchema = true, description = "The rollout")
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    RolloutView retryFailed(@PathVariable @Parameter(description = ID) UUID id, @Parameter(hidden = true) Caller caller) {
        return view(rollouts.retryFailed(id, new Rollouts.Actor(caller)));
    }

    @PostMapping(path = "/api/v1/rollouts/{id}/rollback", produces = JSON)
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(operationId = "rollbackRollout", summary = "Roll a release back to an earlier published version",
            description = """
                    Admin keys only. The release is cancelled if it still runs, and a new rollback rollout offers \
                    the earlier version (`to_version`, else the newest published below) at once to every device \
                    that runs the bad version or is installing it; devices that report the bad version later join \
                    it. The only way a device is offered a lower version: the offer says `rollback: true` and carries \
                    the `statement` given here as its `rollback_statement`. When the server has publisher keys \
                    (OTA_PUBLISHER_KEYS) the statement is required: signed by one of them, naming this rollout, the \
                    version rolled back to and the version it replaces, and never used before \
                    (`create_update.sh rollout rollback ID --to vX --sign-key KEY` signs and sends it). Answers the \
                    new rollback rollout.""")
    @ApiResponse(responseCode = "201", useReturnTypeSchema = true, description = "The rollback rollout")
    @ApiResponse(responseCode = "400", ref = OpenApiDocument.BAD_REQUEST)
    @ApiResponse(responseCode = "404", ref = OpenApiDocument.NOT_FOUND)
    @ApiResponse(responseCode = "409", ref = OpenApiDocument.CONFLICT)
    RolloutView rollback(@PathVariable @Parameter(description = ID) UUID id,
            @RequestBody(required = false) RolloutAction action, @Parameter(hidden = true) Caller caller) {
        RolloutAction given = body(action);
        return view(rollouts.rollback(id, given.toVersion(), given.reason(), given.statement(),
                new Rollouts.Actor(caller)));
    }

    private RolloutView view(RolloutRow rollout) {
        return rollouts.view(rollout.id());
    }

    private static RolloutAction body(RolloutAction action) {
        return action == null ? RolloutAction.NONE : action;
    }
}
