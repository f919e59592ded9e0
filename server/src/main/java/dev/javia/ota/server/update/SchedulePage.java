package dev.javia.ota.server.update;

import dev.javia.ota.protocol.api.RolloutView;
import dev.javia.ota.protocol.api.UpdateCreated;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.dashboard.DashboardPaths;
import dev.javia.ota.server.security.Caller;
import dev.javia.ota.server.web.ApiException;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The dashboard's scheduling form at {@code /rollouts/new}: a new rollout, either of a package uploaded here (it is
 * published, as {@code POST /api/v1/updates/create} does) or of a version already published
 * ({@code POST /api/v1/rollouts}), through the same services, rules and audit log. With a preview of when each
 * timezone's devices install ({@link SchedulePreview}), in their time and the operator's. A refused form is shown
 * again with what was typed (but the file: a browser cannot be given one back) and the message next to its field.
 */
@Controller
class SchedulePage {

    private static final Logger log = LoggerFactory.getLogger(SchedulePage.class);

    static final String UPLOAD = "upload";
    static final String PUBLISHED = "published";
    /** The form's fields a refusal's detail can name, as the API's fields are named. */
    private static final List<String> FIELDS = List.of("version", "update_type", "system_packages", "description",
            "target_devices", "target_timezone", "phases", "soak", "success_threshold", "failure_threshold",
            "max_concurrent", "start_at", "require_approval", "signature");
    private static final DateTimeFormatter SHOWN = DateTimeFormatter.ofPattern("EEE d MMM, HH:mm", Locale.ENGLISH);
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("HH:mm", Locale.ENGLISH);

    private final UpdatePublisher publisher;
    private final Rollouts rollouts;
    private final SchedulePreview preview;
    private final JdbcClient jdbc;
    private final Clock clock;

    SchedulePage(UpdatePublisher publisher, Rollouts rollouts, SchedulePreview preview, JdbcClient jdbc, Clock clock) {
        this.publisher = publisher;
        this.rollouts = rollouts;
        this.preview = preview;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** A published version to choose, newest first. */
    record Published(String version, UpdateType type) {
    }

    @GetMapping(DashboardPaths.NEW_ROLLOUT)
    String form(@RequestParam Map<String, String> fields, @RequestParam(required = false) String part, Model model) {
        Map<String, String> form = new LinkedHashMap<>(fields);
        form.remove("_csrf");
        form.remove("part");
        Map<String, String> errors = new LinkedHashMap<>();
        fill(model, form, errors);
        return "preview".equals(part) ? "dashboard/rollout-new :: preview" : "dashboard/rollout-new";
    }

    @PostMapping(DashboardPaths.NEW_ROLLOUT)
    String create(@RequestParam Map<String, String> fields,
            @RequestParam(name = "package", required = false) MultipartFile pkg,
            @RequestParam(name = "signature", required = false) MultipartFile signature,
            Caller caller, Model model, RedirectAttributes flash, HttpServletResponse response) {
        Map<String, String> form = new LinkedHashMap<>(fields);
        form.remove("_csrf");
        Map<String, String> errors = new LinkedHashMap<>();
        String source = PUBLISHED.equals(form.get("source")) ? PUBLISHED : UPLOAD;
        try {
            zone(form.get("zone"));
            RolloutPlan plan = plan(form);
            RolloutView created;
            String notice;
            if (PUBLISHED.equals(source)) {
                created = rollouts.views(List.of(rollouts.release(form.get("published"), plan,
                        new Rollouts.Actor(caller)).rollout())).get(0);
                notice = "Scheduled a new rollout of " + created.version() + ".";
            } else {
                UpdateForm update = UpdateForm.parse(form.get("version"), form.get("description"),
                        form.get("update_type"), form.get("system_packages"), form.get("target_devices"));
                UpdateCreated published = publisher.publish(update, plan, pkg,
                        signature == null || signature.isEmpty() ? null
                                : UpdateController.signatureText(signature, null), caller);
                created = published.rollout();
                notice = "Published " + created.version() + " and scheduled its rollout.";
            }
            flash.addFlashAttribute("notice", notice + " " + created.next());
            return "redirect:/rollouts/" + created.id();
        } catch (ApiException refused) {
            String detail = refused.getBody().getDetail();
            String field = fieldOf(detail, source);
            log.info("scheduling form refused source={} field={} status={} detail=\"{}\"", source, field,
                    refused.getStatusCode().value(), detail);
            errors.put(field == null ? "form" : field, detail);
            response.setStatus(refused.getStatusCode().value() == 413 ? 413 : 400);
            fill(model, form, errors);
            return "dashboard/rollout-new";
        }
    }

    /** The form's rollout fields, its start time read in the operator's zone. */
    private static RolloutPlan plan(Map<String, String> form) {
        Instant start = start(form).orElse(null);
        List<String> targets = UpdateForm.targets(form.get("target_devices"));
        return RolloutPlan.parse(new RolloutPlan.Fields(form.get("phases"), form.get("soak"),
                "true".equals(form.get("require_approval")) ? "true" : null, form.get("success_threshold"),
                form.get("failure_threshold"), null, null, null, form.get("max_concurrent"),
                start == null ? null : start.toString(), null, null, null, form.get("target_timezone"), null),
                targets);
    }

    /** The start time typed (a datetime-local, in the operator's zone); empty when none was. */
    private static Optional<Instant> start(Map<String, String> form) {
        String text = form.get("start_at");
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        ZoneId zone = zone(form.get("zone"));
        try {
            return Optional.of(LocalDateTime.parse(text.trim()).atZone(zone).toInstant());
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("start_at: '" + text.trim() + "' is not a date and time such as"
                    + " 2026-06-15T22:00 (in " + zone.getId() + ")");
        }
    }

    private static ZoneId zone(String text) {
        if (text == null || text.isBlank()) {
            return ZoneId.of("UTC");
        }
        try {
            return ZoneId.of(text.trim());
        } catch (DateTimeException e) {
            throw ApiException.badRequest("zone: '" + text.trim() + "' is not a timezone such as Europe/Berlin");
        }
    }

    /** Which field a refusal is about: the field its detail starts with, else the package's or the form's (null). */
    static String fieldOf(String detail, String source) {
        String text = detail == null ? "" : detail;
        if (text.startsWith("zone:")) {
            return "zone";
        }
        if (text.startsWith("version") || text.startsWith("no update")) {
            return PUBLISHED.equals(source) ? "published" : "version";
        }
        for (String field : FIELDS) {
            if (text.startsWith(field + ":") || text.startsWith(field + " ")) {
                return field;
            }
        }
        if (text.startsWith("device_uuid")) {
            return "target_devices";
        }
        if (text.contains("signature")) {
            return "signature";
        }
        if (text.contains("package") || text.contains("system packages")) {
            return PUBLISHED.equals(source) ? null : "package";
        }
        return null;
    }

    private void fill(Model model, Map<String, String> form, Map<String, String> errors) {
        String source = PUBLISHED.equals(form.get("source")) ? PUBLISHED : UPLOAD;
        form.put("source", source);
        List<Published> published = jdbc.sql("""
                select version, update_type from updates
                order by version_major desc, version_minor desc, version_patch desc limit 100
                """).query((rs, row) -> new Published(rs.getString(1), UpdateType.parse(rs.getString(2)))).list();
        model.addAttribute("form", form);
        model.addAttribute("errors", errors);
        model.addAttribute("published", published);
        model.addAttribute("source", source);
        List<String> zones = jdbc.sql("select distinct timezone from devices order by 1 limit 200")
                .query(String.class).list();
        model.addAttribute("fleetZones", zones);
        TreeSet<String> choices = new TreeSet<>(zones);
        choices.add("UTC");
        String zoneText = form.get("zone");
        ZoneId operator;
        try {
            operator = zone(zoneText);
        } catch (ApiException e) {
            errors.putIfAbsent("zone", e.getBody().getDetail());
            operator = ZoneId.of("UTC");
        }
        choices.add(operator.getId());
        form.put("zone", operator.getId());
        model.addAttribute("zones", choices);
        model.addAttribute("preview", previewOf(form, published, operator, source));
    }

    /** What the preview shows for the form as it stands; a field it cannot read yet says so instead of rows. */
    private Map<String, Object> previewOf(Map<String, String> form, List<Published> published, ZoneId operator,
            String source) {
        Map<String, Object> shown = new LinkedHashMap<>();
        shown.put("zone", operator.getId());
        UpdateType type;
        if (PUBLISHED.equals(source)) {
            type = published.stream().filter(p -> p.version().equals(form.get("published"))).map(Published::type)
                    .findFirst().orElse(published.isEmpty() ? UpdateType.SCHEDULED : published.get(0).type());
        } else {
            type = "urgent".equals(form.get("update_type")) ? UpdateType.URGENT : UpdateType.SCHEDULED;
        }
        shown.put("type", type.wire());
        Instant now = clock.instant();
        Instant start;
        RolloutPlan plan;
        try {
            start = start(form).filter(at -> at.isAfter(now)).orElse(now);
            plan = plan(form);
        } catch (ApiException e) {
            shown.put("problem", e.getBody().getDetail());
            return shown;
        }
        shown.put("start", start);
        shown.put("startShown", SHOWN.format(start.atZone(operator)));
        shown.put("now", start.equals(now));
        shown.put("phases", String.join(", ", plan.phases()));
        shown.put("soak", Duration.ofSeconds(plan.rules().soakSeconds()).toString().substring(2).toLowerCase(Locale.ROOT));
        shown.put("approval", plan.rules().requireApproval());
        SchedulePreview.Preview result = preview.of(type, start, Duration.ofSeconds(plan.rules().soakSeconds()),
                plan.phases().size() > 1, plan.target().timezone());
        shown.put("rows", result.rows().stream().map(row -> row(row, operator)).toList());
        shown.put("otherDevices", result.otherDevices());
        shown.put("urgent", result.urgent());
        shown.put("phased", result.phased());
        return shown;
    }

    private static Map<String, Object> row(SchedulePreview.Row row, ZoneId operator) {
        ZoneId local = ZoneId.of(row.timezone());
        Map<String, Object> shown = new LinkedHashMap<>();
        shown.put("timezone", row.timezone());
        shown.put("devices", row.devices());
        shown.put("window", HOUR.format(java.time.LocalTime.of(row.window().startHour(), 0)) + ", "
                + hours(row.window().lengthMinutes()) + " (" + row.window().source() + ")");
        shown.put("opens", row.opens());
        shown.put("local", span(row.opens(), row.closes(), local));
        shown.put("operator", span(row.opens(), row.closes(), operator));
        if (row.laterOpens() != null) {
            shown.put("laterLocal", span(row.laterOpens(), row.laterCloses(), local));
            shown.put("laterOperator", span(row.laterOpens(), row.laterCloses(), operator));
        }
        return shown;
    }

    private static String span(Instant opens, Instant closes, ZoneId zone) {
        String from = SHOWN.format(opens.atZone(zone));
        return closes == null ? from + " (at once)" : from + "–" + HOUR.format(closes.atZone(zone));
    }

    private static String hours(int minutes) {
        return minutes % 60 == 0 ? minutes / 60 + " h" : minutes + " min";
    }
}
