/**
 * A device in a directory for the agent's self-update: deploy/agent/run-agent started as systemd starts it
 * ({@link AgentService}, Restart=always, a recording systemctl that restarts it), a fake /proc, and agents that
 * misbehave on purpose ({@link TestAgentJars}). The guard's tests run in it, and so can the real agent's.
 */
package dev.javia.ota.agent.sandbox;
