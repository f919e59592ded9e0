package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.protocol.api.UpdateWindow;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When a device may start an update: for a scheduled update it has not started, its turn in tonight's window of the
 * window in force for it, or the next night's once the window it was given has closed (docs/architecture.md, "When
 * an update installs"); once started, or for an urgent update, the recorded time. The check answers it to the
 * device, the device's record shows it to the operator: one rule for both.
 */
@Component
class InstallTurns {

    private final Clock clock;
    /** One {@link NightlyWindow} per window in force; there are at most 24 hours times a few lengths of them. */
    private final Map<UpdateWindow, NightlyWindow> windows = new ConcurrentHashMap<>();

    InstallTurns(Clock clock) {
        this.clock = clock;
    }

    /** The turn, and for a scheduled update not started the end of its window (null otherwise). */
    NightlyWindow.Slot of(UpdateType type, UpdateStatus status, Instant scheduledFor, String deviceUuid,
            UUID updateId, String timezone, UpdateWindow window) {
        if (type != UpdateType.SCHEDULED || status != UpdateStatus.PENDING) {
            return new NightlyWindow.Slot(scheduledFor, null);
        }
        NightlyWindow nightly = window(window);
        return nightly.slot(scheduledFor, clock.instant(), ZoneId.of(timezone), nightly.offset(deviceUuid, updateId));
    }

    NightlyWindow window(UpdateWindow window) {
        // keyed on the hours alone: the source does not change when the window opens
        return windows.computeIfAbsent(new UpdateWindow(window.startHour(), window.lengthMinutes(), null),
                NightlyWindow::of);
    }
}
