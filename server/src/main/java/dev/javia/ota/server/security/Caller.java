package dev.javia.ota.server.security;

import dev.javia.ota.server.web.ApiException;

import java.io.Serializable;
import java.util.UUID;

/**
 * The authenticated caller of one request.
 *
 * @param role       what kind of key it presented
 * @param name       who it is, as the audit log names the actor: the admin key's name ({@code OTA_ADMIN_API_KEY}
 *                   entries are {@code name:key}), {@value #ENROLLMENT} for the enrollment key, {@code device:<uuid>}
 *                   for a device token
 * @param deviceId   the device's primary key, for a device token
 * @param deviceUuid the device's UUID7, for a device token
 */
public record Caller(Role role, String name, UUID deviceId, String deviceUuid) implements Serializable {

    /** A dashboard session keeps its caller in PostgreSQL, serialized: the form is fixed across versions. */
    private static final long serialVersionUID = 1L;

    /** The actor of what the server does by itself (the audit log's {@code system}); no admin key may take it. */
    public static final String SYSTEM = "system";
    /** The name of the enrollment key's caller; no admin key may take it. */
    public static final String ENROLLMENT = "enrollment";

    public enum Role { ADMIN, ENROLLMENT, DEVICE }

    static Caller admin(String keyName) {
        return new Caller(Role.ADMIN, keyName, null, null);
    }

    static Caller enrollment() {
        return new Caller(Role.ENROLLMENT, ENROLLMENT, null, null);
    }

    /** A device: by its token, or by its key's signature over a challenge (registration). */
    public static Caller device(UUID deviceId, String deviceUuid) {
        return new Caller(Role.DEVICE, "device:" + deviceUuid, deviceId, deviceUuid);
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
