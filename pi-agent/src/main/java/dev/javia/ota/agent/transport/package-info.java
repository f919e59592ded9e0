/**
 * The only place that speaks HTTP: one okhttp client (trusting {@code SERVER_CA_FILE} when set), the device's calls
 * as methods, redirects followed by hand so that the device's key never leaves the server's origin, errors turned
 * into {@link dev.javia.ota.agent.transport.ServerUnavailableException} (retry later) or
 * {@link dev.javia.ota.agent.transport.ServerRejectedException} (the server said no). No okhttp type or
 * {@code IOException} leaves this package.
 */
package dev.javia.ota.agent.transport;
