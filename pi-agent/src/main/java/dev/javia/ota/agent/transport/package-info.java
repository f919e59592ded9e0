/**
 * The only place that speaks HTTP: one okhttp client, the device's calls as methods, errors turned into
 * {@link dev.javia.ota.agent.transport.ServerUnavailableException} (retry later) or
 * {@link dev.javia.ota.agent.transport.ServerRejectedException} (the server said no). No okhttp type or
 * {@code IOException} leaves this package.
 */
package dev.javia.ota.agent.transport;
