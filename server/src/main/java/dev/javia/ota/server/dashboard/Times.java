package dev.javia.ota.server.dashboard;

import org.springframework.stereotype.Component;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Moments as the pages show them, {@code ${@times.utc(instant)}}: "2026-06-15 12:00 UTC", or a dash for none. */
@Component("times")
public class Times {

    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
            .withZone(ZoneOffset.UTC);

    public String utc(Instant at) {
        return at == null ? "–" : UTC.format(at);
    }
}
