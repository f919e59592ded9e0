/**
 * Everything that touches the operating system beyond plain files: the command runner (apt-get, pip, systemctl,
 * systemd-notify go through it, with timeouts and captured output) and durable, atomic file writes.
 */
package dev.javia.ota.agent.system;
