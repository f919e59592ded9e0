package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.DashboardBrowser;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The devices pages in a real browser: the list (the API's search: uuid or name, status, version, timezone, last
 * seen, sort, pages; rows live), a device's page (its facts, releases, step, history with the error of a failed
 * update; live) and its actions (rename, set the window, retry), which go through the API's services and land in its
 * audit log; a change without the CSRF token and bad input are refused, with a page that says why.
 */
class DashboardDeviceTests extends DashboardPageSupport {

    private static final String FAILURE = "health check failed: voice-assistant.service is not active";

    @Test
    void theListSearchesFiltersSortsAndPages() {
        List<TestDevice> fleet = new ArrayList<>();
        for (int i = 0; i < 52; i++) {
            TestDevice device = register(i % 2 == 0 ? "Europe/Berlin" : "America/Los_Angeles",
                    i < 50 ? "v1.0.0" : "v2.0.0");
            rename(device, "pi-%02d".formatted(i));
            fleet.add(device);
        }
        rename(fleet.get(7), "Kitchen speaker");
        clock.advance(Duration.ofDays(3));
        api.post(ApiPaths.heartbeat(fleet.get(3).uuid()), fleet.get(3).token(), Map.of("current_version", "v1.0.0"));

        DashboardBrowser browser = openLive("/devices");
        assertThat(total(browser)).isEqualTo("52");
        assertThat(rows(browser)).hasSize(50);
        browser.find(By.cssSelector("a[rel=next]")).click();
        browser.until(ExpectedConditions.urlContains("page=1"));
        assertThat(rows(browser)).hasSize(2);

        // search by part of a name, any case, then by the start of a uuid
        browser.open("/devices");
        browser.find(By.cssSelector("[data-testid=q]")).sendKeys("KITCHEN");
        browser.find(By.cssSelector("form.device-search button[type=submit]")).click();
        browser.until(ExpectedConditions.urlContains("q=KITCHEN"));
        assertThat(rows(browser)).containsExactly(fleet.get(7).uuid());
        browser.open("/devices?q=" + fleet.get(9).uuid().substring(0, 30));
        assertThat(rows(browser)).contains(fleet.get(9).uuid());

        // filters: version and timezone together; last seen (the clock moved three days, one device spoke since)
        browser.open("/devices");
        browser.find(By.cssSelector("[data-testid=version]")).sendKeys("v2.0.0");
        browser.find(By.cssSelector("[data-testid=timezone]")).sendKeys("Europe/Berlin");
        browser.find(By.cssSelector("form.device-search button[type=submit]")).click();
        browser.until(ExpectedConditions.urlContains("version=v2.0.0"));
        assertThat(rows(browser)).containsExactly(fleet.get(50).uuid());
        browser.open("/devices");
        new Select(browser.find(By.cssSelector("[data-testid=last-seen]"))).selectByValue("within-1h");
        browser.find(By.cssSelector("form.device-search button[type=submit]")).click();
        browser.until(ExpectedConditions.urlContains("last_seen=within-1h"));
        assertThat(rows(browser)).containsExactly(fleet.get(3).uuid());
        browser.open("/devices?last_seen=over-1d");
        assertThat(total(browser)).isEqualTo("51");

        // sort by name: "Kitchen speaker" before "pi-00"; by last seen, the one that spoke first
        browser.open("/devices");
        new Select(browser.find(By.cssSelector("[data-testid=sort]"))).selectByValue("name");
        browser.find(By.cssSelector("form.device-search button[type=submit]")).click();
        browser.until(ExpectedConditions.urlContains("sort=name"));
        assertThat(rows(browser).subList(0, 2)).containsExactly(fleet.get(7).uuid(), fleet.get(0).uuid());
        browser.find(By.cssSelector("a[rel=next]")).click();
        browser.until(ExpectedConditions.urlContains("page=1"));
        assertThat(browser.driver().getCurrentUrl()).as("the pager keeps the search").contains("sort=name");
        assertThat(rows(browser)).containsExactly(fleet.get(50).uuid(), fleet.get(51).uuid());
        browser.open("/devices?sort=-last_seen");
        assertThat(rows(browser).get(0)).isEqualTo(fleet.get(3).uuid());

        // the API takes the same search
        JsonNode page = api.get("/api/v1/devices?q=kitchen&sort=-name&last_seen=over-1d", ADMIN).json();
        assertThat(page.get("total_elements").asLong()).isEqualTo(1);
        assertThat(page.get("devices").get(0).get("device_uuid").asText()).isEqualTo(fleet.get(7).uuid());
    }

    @Test
    void theListShowsAStatusChangeLiveAndFitsLaptopAndPhone() {
        TestDevice device = register("Europe/Berlin");
        rename(device, "kitchen");
        register("UTC");
        String update = published("v1.1.0", "urgent");
        DashboardBrowser browser = openLive("/devices");
        assertThat(rowStatus(browser, device)).isEqualTo("online");

        assertThat(report(device, update, "downloading", null).status()).isEqualTo(200);

        browser.until(d -> "updating".equals(rowStatus(browser, device)));
        assertThat(browser.fitsTheWindow()).isTrue();
        browser.screenshot("devices");
        browser.size(DashboardBrowser.PHONE);
        browser.open("/devices");
        assertThat(browser.fitsTheWindow()).as("the list at 390 px").isTrue();
        browser.screenshot("devices-phone");
    }

    /** Issue 16: the agent's version next to the app's, on the list and the device's page, live as it changes. */
    @Test
    void theListAndTheDevicePageShowTheAgentVersionNextToTheAppsAndFollowIt() {
        TestDevice old = register("UTC", "v1.0.0");
        TestDevice device = register("UTC", "v1.0.0");
        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.0.0",
                "agent_version", "v0.2.0", "package_format", 2));

        DashboardBrowser browser = openLive("/devices");
        assertThat(rowAgent(browser, device)).isEqualTo("v0.2.0");
        assertThat(rowAgent(browser, old)).isEqualTo("–");

        browser.open("/devices/" + old.uuid());
        assertThat(text(browser, "agent-version")).isEqualTo("none reported");
        assertThat(browser.find(By.id("device-facts")).getText()).contains("reads packages of format 1 only");

        browser.open("/devices/" + device.uuid());
        assertThat(text(browser, "agent-version")).isEqualTo("v0.2.0");
        // the new agent took over (its self-update): the page follows
        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.0.0",
                "agent_version", "v0.2.1", "package_format", 2));
        browser.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid=agent-version]"), "v0.2.1"));
        assertThat(text(browser, "current-version")).isEqualTo("v1.0.0");
    }

    /**
     * An update that carries an agent release, withheld from an agent before them: the rollout says it carries the
     * agent, and its failures and the device's page say what to do.
     */
    @Test
    void aWithheldAgentReleaseShowsOnTheRolloutAndTheDevicePageWithWhatToDo() {
        TestDevice old = register("UTC", "v1.0.0");
        Map<String, Object> form = form("v1.1.0", "urgent", null, null);
        form.put("package", AgentReleaseTests.agentPackage(work, "v1.1.0", "v0.2.0", true));
        HttpApi.Response published = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        String rollout = published.json().get("rollout").get("id").asText();
        api.get(ApiPaths.check(old.uuid()), old.token());

        Session session = dashboard.signIn(ADMIN);
        String rolloutPage = dashboard.get("/rollouts/" + rollout, session).body();
        assertThat(rolloutPage).contains("with agent v0.2.0").contains("Failures by error message")
                .contains("this device&#39;s agent cannot read packages that carry an agent release");
        String devicePage = dashboard.get("/devices/" + old.uuid(), session).body();
        assertThat(devicePage).contains("upgrade it once from the .deb");
    }

    @Test
    void aDevicePageShowsItsFactsAndTheErrorOfAFailedUpdateAndRetriesIt() {
        TestDevice device = register("Europe/Berlin", "v1.0.0");
        rename(device, "kitchen");
        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.0.0",
                "metadata", Map.of("model", "Raspberry Pi 4 Model B")));
        String first = published("v1.1.0", "urgent");
        report(device, first, "downloading", null);
        report(device, first, "installing", null);
        report(device, first, "completed", null);
        String second = published("v1.2.0", "urgent");

        DashboardBrowser browser = openLive("/devices/" + device.uuid());
        assertThat(text(browser, "device-title")).isEqualTo("kitchen");
        assertThat(text(browser, "current-version")).isEqualTo("v1.1.0");
        assertThat(text(browser, "previous-version")).isEqualTo("none recorded");
        assertThat(browser.find(By.id("device-facts")).getText()).contains("Raspberry Pi 4 Model B")
                .contains("Europe/Berlin").contains(device.uuid());

        // live: the device starts, says its step, then fails with its reason
        report(device, second, "downloading", null);
        api.post(ApiPaths.heartbeat(device.uuid()), device.token(), Map.of("current_version", "v1.1.0",
                "status", "updating", "step", "downloading", "progress_percent", 40));
        browser.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid=current-step]"),
                "step downloading, 40%"));
        assertThat(text(browser, "device-status")).isEqualTo("updating");
        report(device, second, "failed", FAILURE);
        browser.until(ExpectedConditions.textToBe(By.cssSelector("tr[data-version='v1.2.0'] [data-testid=error-message]"),
                FAILURE));
        browser.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid=device-status]"), "online"));
        assertThat(browser.fitsTheWindow()).isTrue();
        browser.screenshot("device");
        browser.size(DashboardBrowser.PHONE);
        browser.open("/devices/" + device.uuid());
        browser.screenshot("device-phone");
        assertThat(browser.fitsTheWindow()).as("the device page at 390 px").isTrue();
        browser.size(DashboardBrowser.LAPTOP);

        // retry, behind its confirmation: pending again, due now; the audit log keeps the error it had
        browser.find(By.cssSelector("tr[data-version='v1.2.0'] details.confirm summary")).click();
        browser.find(By.cssSelector("tr[data-version='v1.2.0'] details.confirm button")).click();
        browser.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid=notice]"),
                "Update v1.2.0 will be tried again"));
        JsonNode check = api.get(ApiPaths.check(device.uuid()), device.token()).json();
        assertThat(check.get("update").get("version").asText()).isEqualTo("v1.2.0");
        assertThat(check.get("status").asText()).isEqualTo("pending");
        JsonNode entry = audit(device, "device_update.retried");
        assertThat(entry.get("details").get("error_message").asText()).isEqualTo(FAILURE);
        assertThat(entry.get("actor").asText()).isNotBlank();

        // a retry of what did not fail is refused in the API's words, and changes nothing
        HttpApi.Response again = api.post(ApiPaths.retry(second, device.uuid()), ADMIN, Map.of());
        assertProblem(again, 409, "only a failed update can be retried");
    }

    @Test
    void renameAndSetWindowThroughThePageLandInTheAuditLog() {
        TestDevice device = register("Europe/Berlin");
        DashboardBrowser browser = signedIn(ADMIN);
        browser.open("/devices/" + device.uuid());

        WebElement name = browser.find(By.cssSelector("[data-testid=name-field]"));
        name.clear();
        name.sendKeys("hall speaker");
        browser.find(By.cssSelector("form[data-testid=rename] button")).click();
        browser.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid=notice]"), "Renamed to hall speaker."));
        assertThat(text(browser, "device-name")).isEqualTo("hall speaker");
        assertThat(api.get(ApiPaths.device(device.uuid()), ADMIN).json().get("device_name").asText())
                .isEqualTo("hall speaker");
        JsonNode renamed = audit(device, "device.changed");
        assertThat(renamed.get("details").get("device_name").get("new").asText()).isEqualTo("hall speaker");

        new Select(browser.find(By.cssSelector("[data-testid=start-hour]"))).selectByValue("3");
        browser.find(By.cssSelector("[data-testid=length-minutes]")).sendKeys("180");
        browser.find(By.cssSelector("form[data-testid=window] button")).click();
        browser.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid=notice]"),
                "Window set: from 03:00 for 180 minutes"));
        assertThat(text(browser, "device-window")).contains("from 03:00 for 180 minutes").contains("set for this device");
        assertThat(api.get(ApiPaths.device(device.uuid()), ADMIN).json().get("update_window").toString())
                .isEqualTo("{\"start_hour\":3,\"length_minutes\":180,\"source\":\"operator\"}");
        assertThat(jdbc.queryForObject("select count(*) from audit_log where action = 'device.changed' and target_id = ?"
                + " and details -> 'update_window' is not null", Long.class, device.uuid())).isEqualTo(1);

        // a window the API refuses is refused here in its words, and the page is as it was
        browser.find(By.cssSelector("[data-testid=length-minutes]")).clear();
        browser.find(By.cssSelector("[data-testid=length-minutes]")).sendKeys("5");
        browser.find(By.cssSelector("form[data-testid=window] button")).click();
        browser.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid=problem]"),
                "length_minutes must be 60 to 720"));
        browser.find(By.cssSelector("[data-testid=length-minutes]")).clear();
        browser.find(By.cssSelector("[data-testid=length-minutes]")).sendKeys("two hours");
        browser.find(By.cssSelector("form[data-testid=window] button")).click();
        browser.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid=problem]"),
                "length_minutes must be a whole number"));
        assertThat(text(browser, "device-window")).contains("from 03:00 for 180 minutes");

        new Select(browser.find(By.cssSelector("[data-testid=start-hour]"))).selectByValue("none");
        browser.find(By.cssSelector("[data-testid=length-minutes]")).clear();
        browser.find(By.cssSelector("form[data-testid=window] button")).click();
        browser.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid=notice]"),
                "The device's own window is removed"));
        assertThat(api.get(ApiPaths.device(device.uuid()), ADMIN).json().get("update_window").get("source").asText())
                .isEqualTo("fleet");
    }

    @Test
    void aChangeWithoutTheCsrfTokenIsRefusedAndChangesNothing() {
        TestDevice device = register("Europe/Berlin");
        rename(device, "kitchen");
        Session session = session(ADMIN);
        HttpResponse<String> refused = dashboard.post("/devices/" + device.uuid() + "/rename", session,
                Map.of("device_name", "taken over"));
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(dashboard.post("/devices/" + device.uuid() + "/window", session, Map.of("start_hour", "4"))
                .statusCode()).isEqualTo(403);
        assertThat(api.get(ApiPaths.device(device.uuid()), ADMIN).json().get("device_name").asText())
                .isEqualTo("kitchen");
        assertThat(api.get(ApiPaths.device(device.uuid()), ADMIN).json().get("update_window").get("source").asText())
                .isEqualTo("fleet");

        HttpResponse<String> done = dashboard.post("/devices/" + device.uuid() + "/rename", session,
                Map.of("device_name", "hall", "_csrf", session.csrf()));
        assertThat(done.statusCode()).as("with the token it is done").isEqualTo(302);
        assertThat(api.get(ApiPaths.device(device.uuid()), ADMIN).json().get("device_name").asText()).isEqualTo("hall");
    }

    @Test
    void badInputIsAClearRefusalNeverAnError() {
        TestDevice device = register("Europe/Berlin");
        Session session = session(ADMIN);
        refused(session, "/devices/not-a-uuid", 400, "device_uuid must be a UUID");
        refused(session, "/devices/" + newDeviceUuid(), 404, "is registered");
        refused(session, "/devices?page=-1", 400, "page");
        refused(session, "/devices?page=many", 400, "in this address must be");
        refused(session, "/devices?sort=shoe-size", 400, "sort must be one of");
        refused(session, "/devices?last_seen=yesterday", 400, "last_seen must be within-1h");
        refused(session, "/devices?status=asleep", 400, "asleep");
        HttpResponse<String> retry = dashboard.post("/devices/" + device.uuid() + "/retry", session,
                Map.of("update_id", "nope", "_csrf", session.csrf()));
        assertThat(retry.statusCode()).isEqualTo(302);
        HttpResponse<String> shown = dashboard.get("/devices/" + device.uuid(), session);
        assertThat(shown.body()).contains("update_id must be the id of the failed update");
        assertThat(dashboard.post("/devices/not-a-uuid/rename", session, Map.of("device_name", "x", "_csrf",
                session.csrf())).statusCode()).isEqualTo(400);

        DashboardBrowser browser = signedIn(ADMIN);
        browser.open("/devices/not-a-uuid");
        assertThat(text(browser, "error-message")).containsIgnoringCase("device_uuid must be a UUID");
    }

    private void refused(Session session, String path, int status, String says) {
        HttpResponse<String> page = dashboard.get(path, session);
        assertThat(page.statusCode()).as(path).isEqualTo(status);
        assertThat(page.headers().firstValue("Content-Type").orElse("")).as(path).startsWith("text/html");
        assertThat(page.body()).as(path).containsIgnoringCase(says).doesNotContain("Exception")
                .doesNotContain("\tat ");
    }

    private void rename(TestDevice device, String name) {
        assertThat(api.patch(ApiPaths.device(device.uuid()), ADMIN, Map.of("device_name", name)).status())
                .isEqualTo(200);
    }


    private JsonNode audit(TestDevice device, String action) {
        JsonNode entries = api.get("/api/v1/audit?target_type=device&target_id=" + device.uuid() + "&action=" + action,
                ADMIN).json().get("entries");
        assertThat(entries.size()).as(action).isEqualTo(1);
        return entries.get(0);
    }

    private static String text(DashboardBrowser browser, String testId) {
        return browser.find(By.cssSelector("[data-testid=" + testId + "]")).getText();
    }

    private static String total(DashboardBrowser browser) {
        return text(browser, "total");
    }

    private static List<String> rows(DashboardBrowser browser) {
        return browser.driver().findElements(By.cssSelector("table[data-testid=devices] tbody tr")).stream()
                .map(row -> row.getAttribute("data-device")).toList();
    }

    private static String rowAgent(DashboardBrowser browser, TestDevice device) {
        return browser.find(By.cssSelector("tr[data-device='" + device.uuid() + "'] [data-testid=row-agent]"))
                .getText();
    }

    private static String rowStatus(DashboardBrowser browser, TestDevice device) {
        List<WebElement> found = browser.driver().findElements(
                By.cssSelector("tr[data-device='" + device.uuid() + "'] [data-testid=row-status]"));
        return found.isEmpty() ? null : found.get(0).getText();
    }
}
