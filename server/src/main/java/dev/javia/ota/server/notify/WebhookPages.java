package dev.javia.ota.server.notify;

import dev.javia.ota.protocol.api.DeliveryStatus;
import dev.javia.ota.protocol.api.WebhookChange;
import dev.javia.ota.protocol.api.WebhookCreate;
import dev.javia.ota.protocol.api.WebhookCreated;
import dev.javia.ota.protocol.api.WebhookDeliveryPage;
import dev.javia.ota.protocol.api.WebhookPage;
import dev.javia.ota.protocol.api.WebhookView;
import dev.javia.ota.server.dashboard.Outcome;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.Filters;
import dev.javia.ota.server.web.Paging;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The dashboard's webhook pages: the list with each webhook's health ({@code /webhooks}), subscribing a URL, and one
 * webhook with its deliveries ({@code /webhooks/{id}}), enabled, disabled or deleted. Every action calls the same
 * {@link Webhooks} method as {@link WebhookController}, as the signed-in operator, so its rules, refusals and audit
 * entries are the API's.
 */
@Controller
class WebhookPages {

    static final int PAGE_SIZE = 25;
    private static final String LIST = "/webhooks";

    private final Webhooks webhooks;

    WebhookPages(Webhooks webhooks) {
        this.webhooks = webhooks;
    }

    @GetMapping(LIST)
    String list(@RequestParam(defaultValue = "0") int page, @RequestParam(required = false) String part,
            Model model) {
        Paging.check(page, PAGE_SIZE);
        WebhookPage found = webhooks.list(page, PAGE_SIZE);
        model.addAttribute("webhooks", found.webhooks());
        model.addAttribute("health", webhooks.lastTried(found.webhooks().stream().map(WebhookView::id).toList()));
        model.addAttribute("pageNumber", page);
        model.addAttribute("pageCount", found.totalPages());
        model.addAttribute("total", found.totalElements());
        model.addAttribute("eventTypes", Notifications.Events.ALL);
        model.addAttribute("listPart", LIST + "?part=list" + (page > 0 ? "&page=" + page : ""));
        return "list".equals(part) ? "dashboard/webhooks :: list" : "dashboard/webhooks";
    }

    /**
     * Subscribes a URL, as {@code POST /api/v1/webhooks}: no events ticked is the API's refusal of an empty list, and
     * an empty secret is none given, so the server makes one, which the webhook's page then shows this once.
     */
    @PostMapping(LIST)
    String create(@RequestParam(defaultValue = "") String url, @RequestParam(required = false) List<String> events,
            @RequestParam(defaultValue = "") String secret, @RequestParam(defaultValue = "") String description,
            Caller caller, RedirectAttributes flash) {
        WebhookCreated[] created = new WebhookCreated[1];
        String refused = Outcome.redirect(LIST, flash, () -> {
            created[0] = webhooks.create(caller, new WebhookCreate(url.strip(), secret.isEmpty() ? null : secret,
                    events == null ? List.of() : events, description));
            flash.addFlashAttribute("secret", created[0].secret());
            return "Subscribed " + created[0].webhook().url() + ". Copy its secret now: it is not shown again.";
        });
        if (created[0] == null) {
            // the form again as it was sent, the secret aside
            flash.addFlashAttribute("typedUrl", url);
            flash.addFlashAttribute("typedEvents", events == null ? List.of() : events);
            flash.addFlashAttribute("typedDescription", description);
            return refused;
        }
        return "redirect:" + page(created[0].webhook().id());
    }

    @GetMapping(LIST + "/{id}")
    String one(@PathVariable UUID id, @RequestParam(defaultValue = "0") int page,
            @RequestParam(required = false) String status, @RequestParam(required = false) String part, Model model) {
        Paging.check(page, PAGE_SIZE);
        DeliveryStatus only = Filters.parsed(status, DeliveryStatus::parse);
        WebhookView webhook = webhooks.one(id);
        WebhookDeliveryPage deliveries = webhooks.deliveries(id, only, page, PAGE_SIZE);
        model.addAttribute("webhook", webhook);
        model.addAttribute("host", URI.create(webhook.url()).getHost());
        model.addAttribute("deliveries", deliveries.deliveries());
        model.addAttribute("pageNumber", page);
        model.addAttribute("pageCount", deliveries.totalPages());
        model.addAttribute("total", deliveries.totalElements());
        model.addAttribute("status", only == null ? "" : only.wire());
        model.addAttribute("statuses", List.of(DeliveryStatus.values()).stream().map(DeliveryStatus::wire).toList());
        String filter = only == null ? "" : "status=" + only.wire();
        model.addAttribute("pagerLink", page(id) + (filter.isEmpty() ? "" : "?" + filter));
        model.addAttribute("factsPart", page(id) + "?part=facts");
        model.addAttribute("deliveriesPart", page(id) + "?part=deliveries" + (filter.isEmpty() ? "" : "&" + filter)
                + (page > 0 ? "&page=" + page : ""));
        if ("facts".equals(part)) {
            return "dashboard/webhook :: facts";
        }
        return "deliveries".equals(part) ? "dashboard/webhook :: deliveries" : "dashboard/webhook";
    }

    @PostMapping(LIST + "/{id}/enable")
    String enable(@PathVariable UUID id, Caller caller, RedirectAttributes flash) {
        return Outcome.redirect(page(id), flash, () -> {
            enabled(caller, id, true);
            return "Enabled: new events are queued for it again, and waiting ones are delivered.";
        });
    }

    @PostMapping(LIST + "/{id}/disable")
    String disable(@PathVariable UUID id, Caller caller, RedirectAttributes flash) {
        return Outcome.redirect(page(id), flash, () -> {
            enabled(caller, id, false);
            return "Disabled: no new events are queued for it; waiting ones wait until it is enabled again.";
        });
    }

    @PostMapping(LIST + "/{id}/delete")
    String delete(@PathVariable UUID id, Caller caller, RedirectAttributes flash) {
        return Outcome.redirect(LIST, flash, () -> {
            String host = URI.create(webhooks.one(id).url()).getHost();
            webhooks.delete(caller, id);
            return "Deleted the webhook to " + host + ", with its queued deliveries and its delivery log.";
        });
    }

    private void enabled(Caller caller, UUID id, boolean enabled) {
        webhooks.change(caller, id, new WebhookChange(null, null, enabled, null, null), Set.of("enabled"));
    }

    private static String page(UUID id) {
        return LIST + "/" + id;
    }
}
