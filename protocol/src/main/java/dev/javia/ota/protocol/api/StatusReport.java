package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;


/**
 * Body of {@code POST /api/v1/updates/{id}/status}: a device reports a step of an update. {@code run_id} and
 * {@code seq} are optional and mean what they mean in a {@link Heartbeat} (see {@link MessageOrder}).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record StatusReport(
        String deviceUuid,
        UpdateStatus status,
        String errorMessage,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String runId,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long seq) {

    /** A report without an order, as agents before {@code seq} send it. */
    public StatusReport(String deviceUuid, UpdateStatus status, String errorMessage) {
        this(deviceUuid, status, errorMessage, null, null);
    }

    /** The same report, stamped with the place it takes among the messages of this agent run. */
    public StatusReport ordered(MessageOrder order) {
        return new StatusReport(deviceUuid, status, errorMessage, order.runId(), order.seq());
    }
}
