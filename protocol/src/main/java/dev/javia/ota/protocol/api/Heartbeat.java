package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.Map;

/**
 * Body of {@code POST /api/v1/devices/{uuid}/heartbeat}; every field is optional. {@code run_id} and {@code seq}
 * say when the device made the heartbeat (see {@link MessageOrder}); an agent that sends neither is ordered by the
 * time the server received it.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Heartbeat(
        String currentVersion,
        DeviceStatus status,
        Map<String, Object> metadata,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String runId,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long seq) {

    /** A heartbeat without an order, as agents before {@code seq} send it. */
    public Heartbeat(String currentVersion, DeviceStatus status, Map<String, Object> metadata) {
        this(currentVersion, status, metadata, null, null);
    }

    /** The same heartbeat, stamped with the place it takes among the messages of this agent run. */
    public Heartbeat ordered(MessageOrder order) {
        return new Heartbeat(currentVersion, status, metadata, order.runId(), order.seq());
    }
}
