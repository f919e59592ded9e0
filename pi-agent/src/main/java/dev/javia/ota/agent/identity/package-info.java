/**
 * Who this device is: its UUID7 (the seed's {@code ~/.javia_device_uuid}, created once and never replaced), the
 * device token beside it, and the hardware and OS facts sent as metadata.
 */
package dev.javia.ota.agent.identity;
