package dev.javia.ota.server;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The server's own settings ({@code ota.*}); {@code application.properties} maps the documented environment names
 * ({@code OTA_ADMIN_API_KEY}, ...) onto them.
 *
 * @param adminApiKeys     keys with every right; several so that one can be rotated without downtime
 * @param enrollmentKey    the key {@code setup.sh} asks for: it can only register devices
 * @param storagePath      where the filesystem package store keeps the ZIPs
 * @param maxPackageSize   the largest package an upload may carry
 * @param maxJsonBody      the largest JSON body any other request may carry (heartbeats, reports, registrations)
 * @param heartbeatInterval how often devices are told to send a heartbeat
 * @param checkInterval    how often devices are told to check for updates
 * @param missedHeartbeats after how many missed heartbeats a device is marked offline
 * @param scheduledHour    the device-local hour at which the install window of scheduled updates opens
 * @param installWindow    how long that window stays open (from 02:00 until 05:00 by default); a device that misses
 *                         it waits for the next night
 * @param heartbeatBatching whether heartbeats are gathered and written in batches (true) or one by one
 * @param heartbeatFlushInterval how long heartbeats are gathered before one batched write
 * @param tokenCacheSize   how many device tokens each server keeps resolved in memory (about 350 bytes each): a
 *                         fleet's worth, so that a device calling every five minutes is not looked up each time
 * @param tokenCacheTtl    how long a resolved token is trusted without asking the database again (several check-in
 *                         intervals, or most calls miss); a renewed token is forgotten at once on the server that
 *                         renewed it, within this time on the others
 * @param publisherKeys    the publishers' Ed25519 public keys ({@code ed25519:BASE64}, the lines of the {@code .pub}
 *                         files {@code create_update.sh keygen} writes): an upload's signature and a rollback's
 *                         statement must verify against one of them. Several, so that a key can be rotated; none:
 *                         packages are trusted by their checksum alone, as before signatures
 * @param requireSignedPackages whether an unsigned upload is refused; null (not set): yes when any publisher key is
 *                         configured. Checked at the start ({@code update.PublisherTrust}): set without keys, or a key
 *                         that does not read, stops it
 */
@ConfigurationProperties("ota")
public record OtaProperties(
        List<String> adminApiKeys,
        String enrollmentKey,
        Path storagePath,
        @DefaultValue("512MB") DataSize maxPackageSize,
        @DefaultValue("64KB") DataSize maxJsonBody,
        @DefaultValue("5m") Duration heartbeatInterval,
        @DefaultValue("5m") Duration checkInterval,
        @DefaultValue("3") int missedHeartbeats,
        @DefaultValue("2") int scheduledHour,
        @DefaultValue("3h") Duration installWindow,
        @DefaultValue("true") boolean heartbeatBatching,
        @DefaultValue("1s") Duration heartbeatFlushInterval,
        @DefaultValue("1000000") int tokenCacheSize,
        @DefaultValue("30m") Duration tokenCacheTtl,
        List<String> publisherKeys,
        Boolean requireSignedPackages) {

    @ConstructorBinding
    public OtaProperties {
        publisherKeys = publisherKeys == null ? List.of() : List.copyOf(publisherKeys);
        if (heartbeatFlushInterval.isNegative() || heartbeatFlushInterval.isZero()) {
            throw new IllegalArgumentException("ota.heartbeat-flush-interval must be positive, e.g. 1s;"
                    + " set ota.heartbeat-batching=false to write each heartbeat at once");
        }
    }

    /** Settings without publisher keys, as before signatures. */
    public OtaProperties(List<String> adminApiKeys, String enrollmentKey, Path storagePath, DataSize maxPackageSize,
            DataSize maxJsonBody, Duration heartbeatInterval, Duration checkInterval, int missedHeartbeats,
            int scheduledHour, Duration installWindow, boolean heartbeatBatching, Duration heartbeatFlushInterval,
            int tokenCacheSize, Duration tokenCacheTtl) {
        this(adminApiKeys, enrollmentKey, storagePath, maxPackageSize, maxJsonBody, heartbeatInterval, checkInterval,
                missedHeartbeats, scheduledHour, installWindow, heartbeatBatching, heartbeatFlushInterval,
                tokenCacheSize, tokenCacheTtl, List.of(), null);
    }

    public Duration offlineAfter() {
        return heartbeatInterval.multipliedBy(missedHeartbeats);
    }
}
