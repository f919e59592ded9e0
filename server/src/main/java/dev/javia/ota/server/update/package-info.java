/**
 * Updates and their rollout: publishing a package, scheduling it for the fleet in one set-based statement, the
 * device's check, downloads, and each device's status with the update ({@link DeviceUpdate}). Its rollouts have
 * their dashboard pages here too ({@link RolloutPages}), over the same service as the API's.
 */
package dev.javia.ota.server.update;
