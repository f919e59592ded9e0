package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.testing.DashboardBrowser;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scheduling form at /rollouts/new, in a real browser whose timezone is the operator's: a phased rollout for
 * tonight from a package the packager built, a new rollout of a published version, the preview of each timezone's
 * window in the devices' and the operator's time, a refusal shown next to its field with what was typed kept, and
 * the multipart post's CSRF check.
 */
class DashboardSchedulingTests extends DashboardPageSupport {

    private static final String OPERATOR_ZONE = "America/Los_Angeles";
    private static final Pattern ROLLOUT_PAGE = Pattern.compile(".*/rollouts/([0-9a-f-]{36})$");
    private static final DateTimeFormatter SHOWN = DateTimeFormatter.ofPattern("EEE d MMM, HH:mm", Locale.ENGLISH);

    @Test
    void aPhasedRolloutForTonightIsCreatedByUploadingAPackage() {
        register("Europe/Berlin");
        register("Europe/Berlin");
        register("America/New_York");
        register("Asia/Tokyo");
        Path zip = samplePackage("v1.1.0", UpdateType.SCHEDULED, "libopus0");
        DashboardBrowser browser = newRolloutPage();

        browser.find(By.id("package")).sendKeys(zip.toAbsolutePath().toString());
        type(browser, "version", "v1.1.0");
        type(browser, "system_packages", "libopus0");
        type(browser, "phases", "1,50%,100%");
        type(browser, "soak", "1h");
        type(browser, "success_threshold", "90%");
        type(browser, "max_concurrent", "100");
        // tonight at 20:00 in the operator's zone (the server's clock: 2026-06-15 12:00 UTC, 05:00 there)
        startAt(browser, "2026-06-15T20:00");
        Instant start = LocalDateTime.parse("2026-06-15T20:00").atZone(ZoneId.of(OPERATOR_ZONE)).toInstant();

        browser.until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("[data-testid=preview-start]"), "Mon 15 Jun, 20:00"));
        for (String zone : List.of("Europe/Berlin", "America/New_York", "Asia/Tokyo")) {
            WebElement row = browser.find(By.cssSelector("[data-testid=preview] tr[data-timezone='" + zone + "']"));
            Instant opens = nextWindow(start, ZoneId.of(zone));
            assertThat(row.findElement(By.cssSelector("td .local")).getText()).as(zone + " in its own time")
                    .startsWith(SHOWN.format(opens.atZone(ZoneId.of(zone))));
            assertThat(row.findElement(By.cssSelector("td .operator")).getText()).as(zone + " in the operator's")
                    .startsWith(SHOWN.format(opens.atZone(ZoneId.of(OPERATOR_ZONE))));
        }
        assertThat(browser.find(By.cssSelector("tr[data-timezone='Europe/Berlin'] td.num")).getText()).isEqualTo("2");
        assertThat(((ChromeDriver) browser.driver()).executeScript("var table = document.querySelector("
                + "'#preview .table-scroll'); return table.scrollWidth > table.clientWidth + 1;"))
                .as("the preview's table fits a laptop without scrolling").isEqualTo(false);
        browser.screenshot("rollout-new-preview");

        browser.find(By.cssSelector("#schedule-form button[type=submit]")).click();

        String id = rolloutOnItsPage(browser);
        JsonNode rollout = api.get(ApiPaths.rollout(id), ADMIN).json();
        assertThat(rollout.get("version").asText()).isEqualTo("v1.1.0");
        assertThat(rollout.get("state").asText()).isEqualTo("scheduled");
        assertThat(Instant.parse(rollout.get("start_at").asText())).isEqualTo(start);
        assertThat(rollout.get("phases")).hasSize(3);
        assertThat(rollout.get("phases").get(1).get("size").asText()).isEqualTo("50%");
        assertThat(rollout.get("rules").get("soak_seconds").asLong()).isEqualTo(3600);
        assertThat(rollout.get("rules").get("success_threshold").asDouble()).isEqualTo(0.9);
        assertThat(rollout.get("rules").get("max_concurrent").asInt()).isEqualTo(100);
        JsonNode audit = api.get(ApiPaths.AUDIT + "?action=update.published", ADMIN).json().get("entries");
        assertThat(audit.get(0).get("details").get("rollout").asText()).isEqualTo(id);
    }

    @Test
    void aPublishedVersionIsRolledOutAgainWithApproval() {
        register("Europe/Berlin");
        String updateId = published("v1.1.0", "urgent");
        String cancelled = api.get(ApiPaths.update(updateId), ADMIN).json().get("rollout").get("id").asText();
        DashboardBrowser browser = newRolloutPage();

        // while its rollout runs, a new one is refused next to the version picked
        browser.find(By.id("source-published")).click();
        new Select(browser.find(By.id("published"))).selectByValue("v1.1.0");
        browser.find(By.cssSelector("#schedule-form button[type=submit]")).click();
        browser.until(ExpectedConditions.textToBePresentInElementLocated(By.id("published-error"),
                "already has a rollout that is running"));
        assertThat(browser.find(By.id("source-published")).isSelected()).as("the choice stays").isTrue();

        api.post(ApiPaths.rolloutAction(cancelled, "cancel"), ADMIN, Map.of());
        type(browser, "phases", "1,100%");
        browser.find(By.id("require_approval")).click();
        browser.find(By.cssSelector("#schedule-form button[type=submit]")).click();

        String id = rolloutOnItsPage(browser);
        assertThat(id).isNotEqualTo(cancelled);
        JsonNode rollout = api.get(ApiPaths.rollout(id), ADMIN).json();
        assertThat(rollout.get("update_id").asText()).isEqualTo(updateId);
        assertThat(rollout.get("kind").asText()).isEqualTo("release");
        assertThat(rollout.get("state").asText()).isEqualTo("awaiting_approval");
        assertThat(rollout.get("phases")).hasSize(2);
    }

    @Test
    void invalidPhasesAreRefusedNextToTheFieldAndWhatWasTypedStays() {
        register("Europe/Berlin");
        DashboardBrowser browser = newRolloutPage();
        browser.find(By.id("package")).sendKeys(samplePackage("v1.1.0", UpdateType.SCHEDULED, null)
                .toAbsolutePath().toString());
        type(browser, "version", "v1.1.0");
        type(browser, "phases", "10%,5%,100%");
        type(browser, "soak", "2h");
        browser.until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("[data-testid=preview-problem]"), "phases"));

        browser.find(By.cssSelector("#schedule-form button[type=submit]")).click();

        browser.until(ExpectedConditions.textToBePresentInElementLocated(By.id("phases-error"),
                "each share must be above 0% and above the one before it"));
        assertThat(browser.find(By.id("phases")).getAttribute("aria-invalid")).isEqualTo("true");
        assertThat(browser.find(By.id("phases")).getDomProperty("value")).isEqualTo("10%,5%,100%");
        assertThat(browser.find(By.id("version")).getDomProperty("value")).isEqualTo("v1.1.0");
        assertThat(browser.find(By.id("soak")).getDomProperty("value")).isEqualTo("2h");
        assertThat(browser.find(By.id("package")).getDomProperty("value")).as("a file is never given back").isEmpty();
        assertThat(api.get(ApiPaths.UPDATES, ADMIN).json().get("updates")).as("nothing published").isEmpty();

        // and at the HTTP level: a 400 page, never a 500, for each bad field
        Session session = session(ADMIN);
        for (Map.Entry<String, String> bad : Map.of("soak", "soon", "start_at", "tonight", "zone", "Mars/Base",
                "success_threshold", "250%", "max_concurrent", "-1", "target_devices", "not-a-uuid").entrySet()) {
            Map<String, Object> form = uploadForm("v1.1.0", session.csrf());
            form.put(bad.getKey(), bad.getValue());
            HttpResponse<String> refused = postMultipart(session, form);
            assertThat(refused.statusCode()).as(bad.toString()).isEqualTo(400);
            assertThat(refused.body()).as(bad.toString()).contains("field-error").doesNotContain("Exception");
        }
    }

    @Test
    void aMultipartPostWorksWithTheCsrfTokenAndIsRefusedWithout() {
        register("Europe/Berlin");
        Session session = session(ADMIN);

        Map<String, Object> without = uploadForm("v1.1.0", null);
        assertThat(postMultipart(session, without).statusCode()).as("no token").isEqualTo(403);
        assertThat(postMultipart(session, uploadForm("v1.1.0", "forged")).statusCode()).as("a forged one")
                .isEqualTo(403);
        assertThat(api.get(ApiPaths.UPDATES, ADMIN).json().get("updates")).as("nothing published").isEmpty();

        HttpResponse<String> created = postMultipart(session, uploadForm("v1.1.0", session.csrf()));

        assertThat(created.statusCode()).as(created.body()).isEqualTo(302);
        Matcher page = ROLLOUT_PAGE.matcher(created.headers().firstValue("Location").orElseThrow());
        assertThat(page.matches()).as(created.headers().toString()).isTrue();
        assertThat(api.get(ApiPaths.rollout(page.group(1)), ADMIN).json().get("version").asText())
                .isEqualTo("v1.1.0");
    }

    @Test
    void thePreviewListsTheFleetsTimezonesAndTakesBadInputWithoutFailing() {
        register("Europe/Berlin");
        register("Asia/Kolkata");
        Session session = session(ADMIN);

        HttpResponse<String> preview = dashboard.get("/rollouts/new?part=preview&zone=Asia/Tokyo"
                + "&start_at=2026-06-15T23:00&phases=1,100%25&soak=1h", session);

        assertThat(preview.statusCode()).isEqualTo(200);
        assertThat(preview.body()).doesNotContain("<html").contains("data-timezone=\"Europe/Berlin\"")
                .contains("data-timezone=\"Asia/Kolkata\"").contains("your time (Asia/Tokyo)")
                .contains("Later phases");
        // 23:00 in Tokyo is 16:00 in Berlin: tonight's window there, 02:00 Berlin, is 09:00 in Tokyo
        assertThat(preview.body()).contains("Tue 16 Jun, 02:00–05:00").contains("Tue 16 Jun, 09:00–12:00");
        for (String query : List.of("start_at=garbage", "zone=Not/AZone", "phases=%25%25", "source=published",
                "published=v9.9.9&source=published", "target_timezone=Nowhere/City", "update_type=urgent")) {
            HttpResponse<String> odd = dashboard.get("/rollouts/new?part=preview&" + query, session);
            assertThat(odd.statusCode()).as(query).isEqualTo(200);
            assertThat(dashboard.get("/rollouts/new?" + query, session).statusCode()).as(query).isEqualTo(200);
        }
    }

    @Test
    void theFormFitsALaptopAndAPhone() {
        register("Europe/Berlin");
        register("America/New_York");
        published("v1.0.5", "scheduled");
        DashboardBrowser browser = newRolloutPage();
        assertThat(browser.find(By.cssSelector("[data-testid=preview] tbody")).getText()).contains("Europe/Berlin");
        assertThat(browser.fitsTheWindow()).as("1400 px").isTrue();
        browser.screenshot("rollout-new");

        browser.size(DashboardBrowser.PHONE);
        browser.open("/rollouts/new");
        browser.until(ExpectedConditions.attributeToBe(By.id("zone"), "value", OPERATOR_ZONE));
        assertThat(browser.fitsTheWindow()).as("390 px").isTrue();
        browser.screenshot("rollout-new-phone");
        for (WebElement field : browser.driver().findElements(By.cssSelector("#schedule-form input:not([type=hidden]),"
                + " #schedule-form select"))) {
            String id = field.getAttribute("id");
            assertThat(browser.driver().findElements(By.cssSelector("label[for='" + id + "']"))).as("a label for " + id)
                    .hasSize(1);
        }
    }

    /** The browser signed in, in the operator's zone, on the form with its zone filled in by the page's script. */
    private DashboardBrowser newRolloutPage() {
        DashboardBrowser browser = signedIn(ADMIN);
        ((ChromeDriver) browser.driver()).executeCdpCommand("Emulation.setTimezoneOverride",
                Map.of("timezoneId", OPERATOR_ZONE));
        browser.open("/rollouts/new");
        browser.until(ExpectedConditions.attributeToBe(By.id("zone"), "value", OPERATOR_ZONE));
        browser.until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("[data-testid=preview-zone]"), OPERATOR_ZONE));
        return browser;
    }

    private static void type(DashboardBrowser browser, String field, String text) {
        WebElement input = browser.find(By.id(field));
        input.clear();
        input.sendKeys(text);
        // a change event, as leaving the field gives: the preview follows
        browser.driver().findElement(By.tagName("h1")).click();
    }

    private static void startAt(DashboardBrowser browser, String localDateTime) {
        ((ChromeDriver) browser.driver()).executeScript("var field = document.getElementById('start_at');"
                + " field.value = arguments[0]; field.dispatchEvent(new Event('change', {bubbles: true}));",
                localDateTime);
    }

    /** The id of the rollout whose page the browser was sent to. */
    private static String rolloutOnItsPage(DashboardBrowser browser) {
        browser.until(ExpectedConditions.urlMatches(ROLLOUT_PAGE.pattern()));
        Matcher page = ROLLOUT_PAGE.matcher(browser.driver().getCurrentUrl());
        assertThat(page.matches()).isTrue();
        return page.group(1);
    }

    /** The first start of the fleet's window after {@code start} in {@code zone} (the test server's fleet hour). */
    private Instant nextWindow(Instant start, ZoneId zone) {
        LocalDate day = start.atZone(zone).toLocalDate();
        Instant tonight = ZonedDateTime.of(day, LocalTime.of(properties.scheduledHour(), 0), zone).toInstant();
        return tonight.isAfter(start) ? tonight
                : ZonedDateTime.of(day.plusDays(1), LocalTime.of(properties.scheduledHour(), 0), zone).toInstant();
    }

    private Map<String, Object> uploadForm(String version, String csrf) {
        Map<String, Object> form = new LinkedHashMap<>();
        if (csrf != null) {
            form.put("_csrf", csrf);
        }
        form.put("source", "upload");
        form.put("version", version);
        form.put("update_type", "scheduled");
        form.put("phases", "1,100%");
        form.put("zone", "Europe/Berlin");
        form.put("package", samplePackage(version, UpdateType.SCHEDULED, null));
        return form;
    }

    private HttpResponse<String> postMultipart(Session session, Map<String, Object> form) {
        String boundary = "----schedule-" + UUID.randomUUID();
        HttpRequest request = dashboard.request("/rollouts/new", session)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(HttpApi.multipartBody(boundary, form))).build();
        return dashboard.send(request);
    }
}
