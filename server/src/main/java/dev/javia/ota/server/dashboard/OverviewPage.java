package dev.javia.ota.server.dashboard;

import dev.javia.ota.protocol.api.DeviceStatus;
import dev.javia.ota.server.device.FleetCounts;
import dev.javia.ota.server.update.RolloutBoard;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.UnreadableBodies;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fleet at a glance, at {@code /}: devices by status and by version (kept counts, device/FleetCounts), the devices
 * with issues ({@link FleetIssues}), the rollouts in progress ({@link RolloutBoard}); {@code ?part=counts} and
 * {@code ?part=issues} are its live sections.
 */
@Controller
class OverviewPage {

    /** The versions the chart names; the rest are summed as "other versions". */
    static final int VERSIONS_SHOWN = 8;

    private final FleetCounts counts;
    private final FleetIssues issues;
    private final RolloutBoard rollouts;

    OverviewPage(FleetCounts counts, FleetIssues issues, RolloutBoard rollouts) {
        this.counts = counts;
        this.issues = issues;
        this.rollouts = rollouts;
    }

    /** One bar of a chart: what, how many, and its share of the fleet (0 to 100) for the bar's length. */
    public record Bar(String label, String filter, long devices, double share) {

        /** The bar's length in the chart's 0-100 coordinates: at least a sliver for a non-zero count. */
        public String length() {
            return String.format(Locale.ROOT, "%.2f", devices == 0 ? 0 : Math.max(share, 0.5));
        }

        public String shareText() {
            return share >= 10 || share == 0 ? Math.round(share) + "%" : String.format(Locale.ROOT, "%.1f%%", share);
        }
    }

    @GetMapping("/")
    String overview(@RequestParam(required = false) String part, Model model) {
        if (part != null && !part.isBlank() && !"counts".equals(part) && !"issues".equals(part)) {
            throw ApiException.badRequest("the overview has the parts 'counts' and 'issues', not '"
                    + UnreadableBodies.shown(part) + "'");
        }
        if (part == null || part.isBlank()) {
            // the rollouts' section refreshes itself from the rollouts' pages (update/RolloutPages)
            model.addAttribute("rollouts", rollouts.inProgress());
        }
        if (part == null || part.isBlank() || "counts".equals(part)) {
            counts(model);
        }
        if (part == null || part.isBlank() || "issues".equals(part)) {
            model.addAttribute("issues", issues.now());
        }
        if ("counts".equals(part)) {
            return "dashboard/overview :: counts";
        }
        if ("issues".equals(part)) {
            return "dashboard/overview :: issues";
        }
        return "dashboard/overview";
    }

    private void counts(Model model) {
        List<FleetCounts.Count> now = counts.now();
        long total = now.stream().mapToLong(FleetCounts.Count::devices).sum();
        Map<DeviceStatus, Long> byStatus = new LinkedHashMap<>();
        for (DeviceStatus status : List.of(DeviceStatus.ONLINE, DeviceStatus.UPDATING, DeviceStatus.OFFLINE)) {
            byStatus.put(status, 0L);
        }
        Map<String, Long> byVersion = new LinkedHashMap<>();
        long unknown = 0;
        for (FleetCounts.Count count : now) {
            byStatus.merge(count.status(), count.devices(), Long::sum);
            if (count.version() == null) {
                unknown += count.devices();
            } else {
                byVersion.merge(count.version(), count.devices(), Long::sum);
            }
        }
        List<Bar> statusBars = new ArrayList<>();
        byStatus.forEach((status, devices) -> statusBars.add(bar(capitalised(status.wire()), status.wire(), devices,
                total)));
        List<Map.Entry<String, Long>> versions = byVersion.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                        .thenComparing(Map.Entry.comparingByKey()))
                .toList();
        List<Bar> versionBars = new ArrayList<>();
        long others = 0;
        for (int i = 0; i < versions.size(); i++) {
            if (i < VERSIONS_SHOWN) {
                versionBars.add(bar(versions.get(i).getKey(), versions.get(i).getKey(), versions.get(i).getValue(),
                        total));
            } else {
                others += versions.get(i).getValue();
            }
        }
        if (others > 0) {
            versionBars.add(bar((versions.size() - VERSIONS_SHOWN) + " other versions", null, others, total));
        }
        if (unknown > 0) {
            versionBars.add(bar("No version reported", null, unknown, total));
        }
        model.addAttribute("deviceCount", total);
        model.addAttribute("byStatus", statusBars);
        model.addAttribute("byVersion", versionBars);
    }

    private static Bar bar(String label, String filter, long devices, long total) {
        return new Bar(label, filter, devices, total == 0 ? 0 : 100.0 * devices / total);
    }

    private static String capitalised(String word) {
        return Character.toUpperCase(word.charAt(0)) + word.substring(1);
    }
}
