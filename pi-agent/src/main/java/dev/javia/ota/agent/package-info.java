/**
 * The agent's composition root ({@link dev.javia.ota.agent.Main}) and its loop ({@link dev.javia.ota.agent.Agent}):
 * register, heartbeat, check, and drive the update machine, one tick at a time.
 */
package dev.javia.ota.agent;
