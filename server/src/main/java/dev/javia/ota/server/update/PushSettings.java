package dev.javia.ota.server.update;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * The devices' long polls ({@code ota.push.*}; the environment names are in application.properties): see
 * {@link DeviceWaits}.
 *
 * @param hold     how long a wait is held when nothing changes before it is answered "nothing, wait again": below
 *                 every proxy's idle timeout between the devices and the server (nginx's default is 60 s for a
 *                 read, so 50 s leaves a margin)
 * @param maxWaits how many waits this instance holds at once; one more is answered 503 with {@code Retry-After},
 *                 and that device polls as before. Each costs one connection (a file descriptor, counted against
 *                 {@code server.tomcat.max-connections}) and a few KB of heap, no thread
 */
@ConfigurationProperties("ota.push")
record PushSettings(
        @DefaultValue("50s") Duration hold,
        @DefaultValue("10000") int maxWaits) {

    PushSettings {
        if (hold.toMillis() < 100 || hold.toMinutes() > 10) {
            throw new IllegalArgumentException("ota.push.hold (OTA_PUSH_HOLD) must be from 100ms to 10m, e.g. 50s");
        }
        if (maxWaits < 0) {
            throw new IllegalArgumentException("ota.push.max-waits (OTA_PUSH_MAX_WAITS) must be 0 (no waits) or more,"
                    + " e.g. 10000");
        }
    }
}
