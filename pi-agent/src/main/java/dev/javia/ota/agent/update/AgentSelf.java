package dev.javia.ota.agent.update;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the steps of the agent's own update work with.
 *
 * @param home    {@code AGENT_HOME}: the agent's releases, {@code current}, {@code previous}, the drop-in link
 * @param trial   {@code STATE_DIR/agent-trial}, the guard's contract
 * @param running the version of this process's agent ({@link AgentVersion}, read once at start)
 * @param unit    {@code AGENT_UNIT}: the agent's own unit, restarted after the switch
 * @param checkIn {@code AGENT_CHECK_IN_SECONDS}: the bound the trial file gives the new agent
 * @param proc    {@code JAVIA_PROC}: where the boot id and the uptime are read, as the guard reads them
 */
public record AgentSelf(AgentHome home, AgentTrialFile trial, String running, String unit, Duration checkIn,
                        Path proc) {

    /** This boot's id ({@code sys/kernel/random/boot_id}); empty when it cannot be read (then the guard resets). */
    String bootId() {
        try {
            return Files.readString(proc.resolve("sys/kernel/random/boot_id"), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** Whole seconds since boot ({@code uptime}'s first field); 0 when it cannot be read. */
    long uptimeSeconds() {
        try {
            String text = Files.readString(proc.resolve("uptime"), StandardCharsets.UTF_8).strip();
            String first = text.split("\\s+")[0];
            int dot = first.indexOf('.');
            return Long.parseLong(dot < 0 ? first : first.substring(0, dot));
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }
}
