/**
 * A device in a directory for the agent's self-update: deploy/agent/run-agent started as systemd starts it
 * ({@link AgentService}, Restart=always, a recording systemctl that restarts it), a fake /proc, and agents that
 * misbehave on purpose or the real one ({@link TestAgentJars}). {@link AgentGuardTests} tests the guard with them,
 * {@link RealAgentSelfUpdateTests} the real agent's self-update end to end.
 */
package dev.javia.ota.agent.sandbox;
