/**
 * The device registry: registration and tokens, heartbeats, the device's own status, listing for operators, and
 * the sweep that marks silent devices offline.
 */
package dev.javia.ota.server.device;
