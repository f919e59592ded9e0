/**
 * The update as a persisted state machine (Mender's model): one type per step, each returning the next, the next
 * written to the state file before it runs; the install root with its releases and atomic {@code current} link;
 * the outbox of status reports; the decision when an update may be installed. The agent's own update (issue 16) is
 * steps of the same machine: its releases ({@code AgentHome}) and the trial file it shares with the guard.
 */
package dev.javia.ota.agent.update;
