package dev.javia.ota.server.security;

import dev.javia.ota.server.web.ApiException;

import java.util.UUID;

/**
 * The authenticated caller of one request.
 *
 * @param role       what kind of key it presented
 * @param deviceId   the device's primary key, for a device token
 * @param deviceUuid the device's UUID7, for a device token
 */
public record Caller(Role role, UUID deviceId, String deviceUuid) {

    public enum Role { ADMIN, ENROLLMENT, DEVICE }

    static Caller admin() {
        return new Caller(Role.ADMIN, null, null);
    }

    static Caller enrollment() {
        return new Caller(Role.ENROLLMENT, null, null);
    }

    static Caller device(UUID deviceId, String deviceUuid) {
        return new Caller(Role.DEVICE, deviceId, deviceUuid);
    }

    /** Who the caller is, for the audit log and a rollout's creator and approver. */
    public String name() {
        return switch (role) {
            case ADMIN -> "admin";
            case ENROLLMENT -> "enrollment";
            case DEVICE -> "device:" + deviceUuid;
        };
    }

    public boolean isAdmin() {
        return role == Role.ADMIN;
    }

    /** Refuses a device token that belongs to another device; admins may act for any device. */
    public void requireDeviceOrAdmin(String deviceUuid) {
        if (role == Role.DEVICE && !this.deviceUuid.equalsIgnoreCase(deviceUuid)) {
            throw ApiException.forbidden("this device token belongs to device " + this.deviceUuid
                    + " and opens only that device's endpoints");
        }
    }
}
