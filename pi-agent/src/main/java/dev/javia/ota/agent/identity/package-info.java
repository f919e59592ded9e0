/**
 * Who this device is: its UUID7 (the seed's {@code ~/.javia_device_uuid}, created once and never replaced), its
 * Ed25519 key beside it ({@code device-key.pem}, bound by the server), the device token, and the hardware and OS
 * facts sent as metadata.
 */
package dev.javia.ota.agent.identity;
