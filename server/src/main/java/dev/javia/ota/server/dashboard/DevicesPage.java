package dev.javia.ota.server.dashboard;

import dev.javia.ota.protocol.api.DeviceChange;
import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.protocol.api.DeviceUpdateView;
import dev.javia.ota.protocol.api.DeviceView;
import dev.javia.ota.protocol.api.UpdateStatus;
import dev.javia.ota.protocol.api.WindowSetting;
import dev.javia.ota.server.device.Device;
import dev.javia.ota.server.device.DeviceFields;
import dev.javia.ota.server.device.DeviceRegistry;
import dev.javia.ota.server.device.DeviceSearch;
import dev.javia.ota.server.device.DeviceViews;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.update.UpdateCatalog;
import dev.javia.ota.server.update.UpdateProgress;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.Paging;
import org.springframework.data.domain.Page;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;
import org.springframework.web.util.UriComponentsBuilder;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The devices: the list at {@code /devices} (the API's search, {@link DeviceSearch}) and a device's page at
 * {@code /devices/{uuid}}, whose actions (rename, set the window, retry a failed update) call the services the API
 * calls. A refusal of a page (a malformed uuid, an unknown device, a bad filter) is the dashboard's error page
 * (ErrorPages) with the API's status and sentence.
 */
@Controller
class DevicesPage {

    static final int PAGE_SIZE = 50;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final DeviceSearch search;
    private final DeviceViews views;
    private final DeviceRegistry registry;
    private final UpdateCatalog catalog;
    private final UpdateProgress progress;
    private final Clock clock;

    DevicesPage(DeviceSearch search, DeviceViews views, DeviceRegistry registry, UpdateCatalog catalog,
            UpdateProgress progress, Clock clock) {
        this.search = search;
        this.views = views;
        this.registry = registry;
        this.catalog = catalog;
        this.progress = progress;
        this.clock = clock;
    }

    /** A row of the list: the device, and when it was last seen in words. */
    public record Row(DeviceView device, String lastSeen) {
    }

    @GetMapping("/devices")
    String list(@RequestParam(required = false) String q, @RequestParam(required = false) String status,
            @RequestParam(required = false) String version, @RequestParam(required = false) String timezone,
            @RequestParam(name = "last_seen", required = false) String lastSeen,
            @RequestParam(required = false) String sort, @RequestParam(defaultValue = "0") int page,
            @RequestParam(required = false) String part, Model model) {
        Paging.check(page, PAGE_SIZE);
        DeviceSearch.Query query = DeviceSearch.Query.of(q, status, version, timezone, lastSeen, sort);
        Page<Device> found = search.find(query, page, PAGE_SIZE);
        Instant now = clock.instant();
        List<DeviceView> shown = views.of(found.getContent());
        model.addAttribute("rows", shown.stream().map(device -> new Row(device, Durations.ago(device.lastSeen(), now)))
                .toList());
        model.addAttribute("query", query);
        model.addAttribute("q", query.text());
        model.addAttribute("status", query.status() == null ? null : query.status().wire());
        model.addAttribute("version", query.version());
        model.addAttribute("timezone", query.timezone());
        model.addAttribute("lastSeen", query.lastSeen() == null ? null : query.lastSeen().wire());
        model.addAttribute("sort", query.sort());
        model.addAttribute("page", page);
        model.addAttribute("total", found.getTotalElements());
        model.addAttribute("totalPages", found.getTotalPages());
        model.addAttribute("link", link(query));
        model.addAttribute("sorts", SORTS);
        model.addAttribute("statuses", List.of("online", "updating", "offline"));
        return "rows".equals(part) ? "dashboard/devices :: results" : "dashboard/devices";
    }

    /** The sort choices of the list, as the API's sort parameter takes them. */
    static final Map<String, String> SORTS = sorts();

    private static Map<String, String> sorts() {
        Map<String, String> sorts = new LinkedHashMap<>();
        sorts.put("-registered", "Newest registration");
        sorts.put("name", "Name (A to Z)");
        sorts.put("-name", "Name (Z to A)");
        sorts.put("-last_seen", "Last seen (most recent)");
        sorts.put("last_seen", "Last seen (longest ago)");
        sorts.put("-version", "Version (highest)");
        sorts.put("version", "Version (lowest)");
        sorts.put("status", "Status");
        return sorts;
    }

    /** The list's URL with its search, without page: the pager's link and the live section's. */
    private static String link(DeviceSearch.Query query) {
        UriComponentsBuilder link = UriComponentsBuilder.fromPath("/devices");
        if (query.text() != null) {
            link.queryParam("q", query.text());
        }
        if (query.status() != null) {
            link.queryParam("status", query.status().wire());
        }
        if (query.version() != null) {
            link.queryParam("version", query.version());
        }
        if (query.timezone() != null) {
            link.queryParam("timezone", query.timezone());
        }
        if (query.lastSeen() != null) {
            link.queryParam("last_seen", query.lastSeen().wire());
        }
        if (!"-registered".equals(query.sort())) {
            link.queryParam("sort", query.sort());
        }
        return link.encode().build().toUriString();
    }

    @GetMapping("/devices/{uuid}")
    String device(@PathVariable String uuid, @RequestParam(required = false) String part, Model model) {
        String deviceUuid = DeviceFields.deviceUuid(uuid);
        DeviceView device = views.of(registry.find(deviceUuid));
        List<DeviceUpdateView> history = catalog.history(deviceUuid);
        Instant now = clock.instant();
        model.addAttribute("device", device);
        model.addAttribute("lastSeen", Durations.ago(device.lastSeen(), now));
        model.addAttribute("history", history);
        model.addAttribute("previous", history.stream()
                .filter(update -> update.status() == UpdateStatus.COMPLETED
                        && !update.version().equals(device.currentVersion()))
                .findFirst().orElse(null));
        model.addAttribute("installed", history.stream()
                .filter(update -> update.status() == UpdateStatus.COMPLETED
                        && update.version().equals(device.currentVersion()))
                .findFirst().orElse(null));
        model.addAttribute("updating", device.status() == DeviceStatus.UPDATING);
        model.addAttribute("metadata", device.metadata() == null ? Map.of() : device.metadata());
        model.addAttribute("hours", java.util.stream.IntStream.range(0, 24).boxed().toList());
        if ("facts".equals(part)) {
            return "dashboard/device :: facts";
        }
        if ("history".equals(part)) {
            return "dashboard/device :: history";
        }
        return "dashboard/device";
    }

    @PostMapping("/devices/{uuid}/rename")
    String rename(@PathVariable String uuid, @RequestParam(name = "device_name", required = false) String name,
            Caller caller, RedirectAttributes flash) {
        String deviceUuid = DeviceFields.deviceUuid(uuid);
        return Outcome.redirect(page(deviceUuid), flash, () -> {
            ObjectNode patch = JSON.createObjectNode();
            patch.put("device_name", name);
            Device device = registry.change(caller, deviceUuid, patch, new DeviceChange(name, null));
            return device.deviceName() == null ? "Name removed: the device is shown by its uuid."
                    : "Renamed to " + device.deviceName() + ".";
        });
    }

    @PostMapping("/devices/{uuid}/window")
    String window(@PathVariable String uuid, @RequestParam(name = "start_hour", required = false) String startHour,
            @RequestParam(name = "length_minutes", required = false) String lengthMinutes, Caller caller,
            RedirectAttributes flash) {
        String deviceUuid = DeviceFields.deviceUuid(uuid);
        return Outcome.redirect(page(deviceUuid), flash, () -> {
            ObjectNode patch = JSON.createObjectNode();
            WindowSetting setting = null;
            if (startHour == null || startHour.isBlank() || startHour.equals("none")) {
                patch.putNull("update_window");
            } else {
                setting = new WindowSetting(whole("start_hour", startHour, "e.g. 3 for 03:00"),
                        lengthMinutes == null || lengthMinutes.isBlank() ? null
                                : whole("length_minutes", lengthMinutes, "e.g. 120, or empty for the fleet's length"));
                patch.putObject("update_window").put("start_hour", setting.startHour());
            }
            Device device = registry.change(caller, deviceUuid, patch, new DeviceChange(null, setting));
            DeviceView view = views.of(device);
            return setting == null ? "The device's own window is removed: the " + view.updateWindow().source()
                    + "'s window is in force."
                    : "Window set: from " + "%02d:00".formatted(view.updateWindow().startHour()) + " for "
                            + view.updateWindow().lengthMinutes() + " minutes, the device's local time.";
        });
    }

    @PostMapping("/devices/{uuid}/retry")
    String retry(@PathVariable String uuid, @RequestParam(name = "update_id", required = false) String updateId,
            Caller caller, RedirectAttributes flash) {
        String deviceUuid = DeviceFields.deviceUuid(uuid);
        return Outcome.redirect(page(deviceUuid), flash, () -> {
            UUID id;
            try {
                id = UUID.fromString(updateId == null ? "" : updateId.trim());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("update_id must be the id of the failed update, not '" + updateId + "'");
            }
            DeviceUpdateView retried = progress.retry(caller, id, deviceUuid);
            return "Update " + retried.version() + " will be tried again: the device installs it at its next check.";
        });
    }

    private static int whole(String field, String text, String example) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(field + " must be a whole number (" + example + "), not '" + text + "'");
        }
    }

    private static String page(String deviceUuid) {
        return "/devices/" + deviceUuid;
    }
}
