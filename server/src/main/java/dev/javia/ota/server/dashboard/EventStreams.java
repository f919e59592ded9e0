package dev.javia.ota.server.dashboard;

import dev.javia.ota.server.device.DeviceFields;
import dev.javia.ota.server.web.ApiException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import java.util.UUID;

/**
 * A page's live stream ({@code GET /events}, Server-Sent Events): it names what changed and the page fetches what
 * shows it ({@link StreamHub}). {@code device} and {@code rollout} narrow the device and rollout events to the page's
 * own.
 */
@Controller
class EventStreams {

    private final StreamHub hub;

    EventStreams(StreamHub hub) {
        this.hub = hub;
    }

    @GetMapping(path = DashboardPaths.EVENTS, produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    ResponseEntity<SseEmitter> stream(@RequestParam(required = false) String device,
            @RequestParam(required = false) String rollout) {
        String deviceUuid = device == null || device.isBlank() ? null : DeviceFields.deviceUuid(device);
        String rolloutId = rollout == null || rollout.isBlank() ? null : rolloutId(rollout);
        SseEmitter emitter = hub.open(deviceUuid, rolloutId);
        if (emitter == null) {
            // the page still works by reloading; its script tries the stream again later
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header("Retry-After", "30").build();
        }
        return ResponseEntity.ok().header("X-Accel-Buffering", "no").header("Cache-Control", "no-store")
                .body(emitter);
    }

    private static String rolloutId(String text) {
        try {
            return UUID.fromString(text.strip()).toString();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("rollout must be a rollout's id, e.g. 0190a8c2-5b6e-7f00-8000-000000000000");
        }
    }
}
