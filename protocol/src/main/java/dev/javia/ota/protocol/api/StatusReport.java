package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;


/**
 * Body of {@code POST /api/v1/updates/{id}/status}: a device reports a step of an update. {@code run_id} and
 * {@code seq} are optional and mean what they mean in a {@link Heartbeat} (see {@link MessageOrder}).
 *
 * @param downloadedBytes what this install downloaded (a delta, the package, or both when a delta failed first);
 *                        null when the report does not say (an agent before deltas, a step before the download)
 * @param delivery        {@value #DELTA} or {@value #FULL}: how the release got here; null when not said
 * <p>The last two are left out of the JSON when null, so an agent's report without them is what it was before.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record StatusReport(
        String deviceUuid,
        UpdateStatus status,
        @Nullable String errorMessage,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String runId,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long seq,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long downloadedBytes,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String delivery) {

    public static final String DELTA = "delta";
    public static final String FULL = "full";

    /** A report without an order, as agents before {@code seq} send it. */
    public StatusReport(String deviceUuid, UpdateStatus status, String errorMessage) {
        this(deviceUuid, status, errorMessage, null, null);
    }

    /** A report that does not say what was downloaded, as agents before deltas send it. */
    public StatusReport(String deviceUuid, UpdateStatus status, String errorMessage, String runId, Long seq) {
        this(deviceUuid, status, errorMessage, runId, seq, null, null);
    }

    /** The same report, stamped with the place it takes among the messages of this agent run. */
    public StatusReport ordered(MessageOrder order) {
        return new StatusReport(deviceUuid, status, errorMessage, order.runId(), order.seq(), downloadedBytes,
                delivery);
    }

    /** The same report, saying what this install downloaded and how ({@value #DELTA} or {@value #FULL}). */
    public StatusReport withDownload(long bytes, String how) {
        return new StatusReport(deviceUuid, status, errorMessage, runId, seq, bytes, how);
    }
}
