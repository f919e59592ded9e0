package dev.javia.ota.server.connections;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * How long a client may take to send its request ({@code ota.connections.*}; the documented names are
 * {@code OTA_HEADER_TIMEOUT}, {@code OTA_BODY_TIMEOUT}, {@code OTA_BODY_MIN_RATE}). The ceiling itself is Tomcat's
 * {@code server.tomcat.max-connections}.
 *
 * @param headerTimeout how long a connection may take to deliver a complete request line and headers: counted from
 *                      the request's first byte, or, while no request has begun, from connecting or from the
 *                      previous answer. Tomcat's own timeout restarts with every byte, so without this a client
 *                      sending a byte every few seconds keeps its connection for ever.
 * @param bodyTimeout   how long a request body may take before it must show {@code bodyMinRate}: the time allowed
 *                      for a body is this plus one second for every {@code bodyMinRate} bytes received (Apache's
 *                      mod_reqtimeout rule), so a large upload over a slow but steady link is never cut
 * @param bodyMinRate   the slowest a body may arrive on average, per second
 */
@ConfigurationProperties("ota.connections")
record ConnectionLimits(
        @DefaultValue("10s") Duration headerTimeout,
        @DefaultValue("20s") Duration bodyTimeout,
        @DefaultValue("16KB") DataSize bodyMinRate) {

    ConnectionLimits {
        requirePositive(headerTimeout, "header-timeout (OTA_HEADER_TIMEOUT)", "10s");
        requirePositive(bodyTimeout, "body-timeout (OTA_BODY_TIMEOUT)", "20s");
        if (bodyMinRate.toBytes() <= 0) {
            throw new IllegalArgumentException("ota.connections.body-min-rate (OTA_BODY_MIN_RATE) must be positive,"
                    + " e.g. 16KB (bytes a second)");
        }
    }

    /** The time a request may have taken so far, from its first byte, when {@code bodyBytes} of its body arrived. */
    long bodyAllowanceNanos(long bodyBytes) {
        return bodyTimeout.toNanos() + (long) (bodyBytes * 1e9 / bodyMinRate.toBytes());
    }

    private static void requirePositive(Duration value, String name, String example) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("ota.connections." + name + " must be positive, e.g. " + example);
        }
    }
}
