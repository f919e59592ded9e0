package dev.javia.ota.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.Map;

/**
 * Body of {@code POST /api/v1/devices/{uuid}/heartbeat}; every field is optional. {@code run_id} and {@code seq}
 * say when the device made the heartbeat (see {@link MessageOrder}); an agent that sends neither is ordered by the
 * time the server received it. While it installs ({@code status} {@code updating}), the agent says its {@code step}
 * (the install step's name, as in its state file: {@code downloading}, {@code verifying}, {@code extracting},
 * {@code system-packages}, {@code dependencies}, {@code switching}, {@code restarting}, {@code health-check},
 * {@code rolling-back}, and {@code failed} while it cleans up) and, while downloading, {@code progress_percent}.
 * {@code settings} is the device's own word on how it wants to be updated; an agent sends it until a heartbeat
 * carrying it is answered, once per start, and an agent that has none of these fields (every one before them)
 * changes nothing by leaving them out. {@code agent_version} is the version of the agent itself, and
 * {@code package_format} the newest package format it reads; agents before self-update (issue 16) send neither, which
 * the server reads as "format 1 only": it never offers them a package that carries an agent release.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Heartbeat(
        String currentVersion,
        DeviceStatus status,
        @Nullable Map<String, Object> metadata,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String runId,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long seq,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String step,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Integer progressPercent,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable AgentSettings settings,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String agentVersion,
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Integer packageFormat) {

    /** A heartbeat as agents before self-update sent it: no agent version, no package format. */
    public Heartbeat(String currentVersion, DeviceStatus status, Map<String, Object> metadata, String runId, Long seq,
                     String step, Integer progressPercent, AgentSettings settings) {
        this(currentVersion, status, metadata, runId, seq, step, progressPercent, settings, null, null);
    }

    /** A heartbeat without an order, as agents before {@code seq} send it. */
    public Heartbeat(String currentVersion, DeviceStatus status, Map<String, Object> metadata) {
        this(currentVersion, status, metadata, null, null, null, null, null, null, null);
    }

    /** A heartbeat saying which install step runs, and how far the download has got (null outside a download). */
    public Heartbeat withStep(String step, Integer progressPercent) {
        return new Heartbeat(currentVersion, status, metadata, runId, seq, step, progressPercent, settings,
                agentVersion, packageFormat);
    }

    /** A heartbeat that tells the server the device's own settings. */
    public Heartbeat withSettings(AgentSettings settings) {
        return new Heartbeat(currentVersion, status, metadata, runId, seq, step, progressPercent, settings,
                agentVersion, packageFormat);
    }

    /** The same heartbeat, stamped with the place it takes among the messages of this agent run. */
    public Heartbeat ordered(MessageOrder order) {
        return new Heartbeat(currentVersion, status, metadata, order.runId(), order.seq(), step, progressPercent,
                settings, agentVersion, packageFormat);
    }

    /** The same heartbeat, saying which agent sends it and the newest package format that agent reads. */
    public Heartbeat fromAgent(String agentVersion, Integer packageFormat) {
        return new Heartbeat(currentVersion, status, metadata, runId, seq, step, progressPercent, settings,
                agentVersion, packageFormat);
    }
}
