/**
 * Updates and their rollout: publishing a package, scheduling it for the fleet in one set-based statement, the
 * device's check, downloads, and each device's status with the update ({@link DeviceUpdate}).
 */
package dev.javia.ota.server.update;
