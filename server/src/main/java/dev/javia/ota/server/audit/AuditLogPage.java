package dev.javia.ota.server.audit;

import dev.javia.ota.protocol.api.AuditEntry;
import dev.javia.ota.protocol.api.AuditPage;
import dev.javia.ota.server.persistence.JsonColumn;
import dev.javia.ota.server.web.ApiException;
import dev.javia.ota.server.web.Paging;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.regex.Pattern;

/**
 * The dashboard's audit log ({@code /audit}): newest first, a page at a time, with the filters of
 * {@code GET /api/v1/audit} ({@link AuditEntries.Filter#of}), read the same way. The time fields of the form are
 * {@code datetime-local} and so carry no zone: the page reads them as UTC, and says so.
 */
@Controller
class AuditLogPage {

    static final int PAGE_SIZE = 50;
    /** What a {@code datetime-local} field sends: a local date and time, minutes or seconds, no zone. */
    private static final Pattern LOCAL = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?");
    private static final DateTimeFormatter FIELD = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm[:ss]")
            .withZone(ZoneOffset.UTC);
    /** The subjects that have a page of their own, and where it is. */
    private static final Map<String, String> PAGES = Map.of("device", "/devices/", "rollout", "/rollouts/",
            "webhook", "/webhooks/");

    /** The kinds of subject the log records, for the form's choice (the API takes any text). */
    private static final List<String> SUBJECT_TYPES = List.of("device", "rollout", "update", "webhook");

    private final AuditEntries entries;

    AuditLogPage(AuditEntries entries) {
        this.entries = entries;
    }

    @GetMapping("/audit")
    String audit(@RequestParam(required = false) String actor, @RequestParam(required = false) String action,
            @RequestParam(name = "target_type", required = false) String targetType,
            @RequestParam(name = "target_id", required = false) String targetId,
            @RequestParam(required = false) String since, @RequestParam(required = false) String until,
            @RequestParam(defaultValue = "0") int page, @RequestParam(required = false) String part,
            Model model, HttpServletResponse response) {
        Paging.check(page, PAGE_SIZE);
        Map<String, String> filters = new LinkedHashMap<>();
        put(filters, "actor", actor);
        put(filters, "action", action);
        put(filters, "target_type", targetType);
        put(filters, "target_id", targetId);
        put(filters, "since", since);
        put(filters, "until", until);
        model.addAttribute("filters", filters);
        model.addAttribute("subjectTypes", SUBJECT_TYPES);
        AuditPage found;
        try {
            AuditEntries.Filter filter = AuditEntries.Filter.of(actor, action, targetType, targetId, utc(since),
                    utc(until));
            found = entries.page(filter, page, PAGE_SIZE);
            model.addAttribute("sinceField", field(filter.since()));
            model.addAttribute("untilField", field(filter.until()));
        } catch (ApiException refused) {
            // the form stays, with what was typed and why it cannot be read
            response.setStatus(refused.getStatusCode().value());
            model.addAttribute("problem", refused.getBody().getDetail());
            model.addAttribute("sinceField", since);
            model.addAttribute("untilField", until);
            found = new AuditPage(List.of(), page, PAGE_SIZE, 0, 0);
        }
        model.addAttribute("entries", found.entries().stream().map(Row::of).toList());
        model.addAttribute("pageNumber", page);
        model.addAttribute("pageCount", found.totalPages());
        model.addAttribute("total", found.totalElements());
        String query = query(filters);
        model.addAttribute("pagerLink", "/audit" + (query.isEmpty() ? "" : "?" + query));
        // the first page follows the log as it grows; a later one stays put under its reader
        model.addAttribute("livePart", page == 0 ? "/audit?" + (query.isEmpty() ? "" : query + "&") + "part=entries"
                : null);
        return "entries".equals(part) ? "dashboard/audit :: entries" : "dashboard/audit";
    }

    /** A time as the form's field sent it (no zone: UTC, seconds optional) or as the API takes it (an instant). */
    private static String utc(String value) {
        if (value == null || !LOCAL.matcher(value.strip()).matches()) {
            return value;
        }
        String local = value.strip();
        return (local.length() == "2026-06-15T12:30".length() ? local + ":00" : local) + "Z";
    }

    private static String field(Instant instant) {
        return instant == null ? "" : FIELD.format(instant);
    }

    private static void put(Map<String, String> filters, String name, String value) {
        if (value != null && !value.isBlank()) {
            filters.put(name, value);
        }
    }

    private static String query(Map<String, String> filters) {
        StringJoiner query = new StringJoiner("&");
        filters.forEach((name, value) -> query.add(name + "=" + encoded(value)));
        return query.toString();
    }

    private static String encoded(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** One entry as the page shows it: where its subject's page is (if it has one) and its details as JSON. */
    record Row(AuditEntry entry, String subjectLink, String details) {

        static Row of(AuditEntry entry) {
            String page = PAGES.get(entry.targetType());
            String link = entry.targetId() == null ? null : page != null ? page + entry.targetId()
                    : "/audit?target_type=" + encoded(entry.targetType()) + "&target_id=" + encoded(entry.targetId());
            return new Row(entry, link, entry.details().isEmpty() ? "" : JsonColumn.write(entry.details()));
        }
    }
}
