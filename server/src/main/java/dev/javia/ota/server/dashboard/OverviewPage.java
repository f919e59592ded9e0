package dev.javia.ota.server.dashboard;

import dev.javia.ota.server.device.DeviceRepository;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** The fleet at a glance, at {@code /}. */
@Controller
class OverviewPage {

    private final DeviceRepository devices;

    OverviewPage(DeviceRepository devices) {
        this.devices = devices;
    }

    @GetMapping("/")
    String overview(@RequestParam(required = false) String part, Model model) {
        model.addAttribute("deviceCount", devices.count());
        return "counts".equals(part) ? "dashboard/overview :: counts" : "dashboard/overview";
    }
}
