package dev.javia.ota.server;

import dev.javia.ota.protocol.api.AdminKeyEntry;
import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.testing.DashboardBrowser;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.TestDatabaseInitializer;
import dev.javia.ota.server.update.RolloutReconciler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rollouts list and a rollout's page in a real browser over the real server: the bar moves as simulated agents
 * report, without a reload; pausing goes through a confirmation; approval by the creator's key is refused when the
 * approver must differ and a second key's goes through; failures are grouped by message with their devices; a change
 * without the CSRF token is refused and changes nothing; bad ids are a 404 or a 400 page, never a 500; every action
 * is in the audit log under the signed-in key's name.
 */
class DashboardRolloutTests extends DashboardPageSupport {

    static final String SECOND_ADMIN = TestDatabaseInitializer.SECOND_ADMIN_KEY;

    @Autowired
    RolloutReconciler reconciler;

    private RolloutAgents agents;

    @BeforeEach
    void agentsOfThisServer() {
        agents = new RolloutAgents(api, ADMIN);
    }

    @Test
    void theRolloutsBarMovesLiveAsDevicesReportAndAPauseGoesThroughItsConfirmation() {
        List<TestDevice> fleet = fleet(6, "Europe/Berlin", "America/New_York");
        String id = publishRollout("v1.1.0", Map.of("phases", "1,50%,100%", "min_finished", "1"));
        DashboardBrowser browser = openLive("/rollouts/" + id);
        assertThat(phaseBar(browser, 1).getAttribute("data-succeeded")).isEqualTo("0");
        assertThat(text(browser, "rollout-state")).isEqualTo("running");

        // a mark on this very page: a reload would lose it
        script(browser, "window.notReloaded = true;");
        TestDevice canary = agents.offered(fleet).get(0);
        agents.report(canary, "downloading", null);
        browser.until(ExpectedConditions.attributeToBe(phaseBarBy(1), "aria-label", "0 of 1 installed, 1 in progress"));
        agents.report(canary, "installing", null);
        agents.report(canary, "completed", null);
        browser.until(ExpectedConditions.attributeToBe(phaseBarBy(1), "data-succeeded", "1"));
        assertThat(browser.find(By.cssSelector("[data-testid=phase-1] .phase-text")).getText())
                .isEqualTo("1 of 1 installed");

        // the reconciler opens phase 2: the page follows without a reload
        reconciler.tick();
        browser.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid=rollout-phase]"), "phase 2 of 3"));
        browser.until(ExpectedConditions.attributeToBe(phaseBarBy(2), "aria-label", "0 of 2 installed, 2 waiting"));
        assertThat(script(browser, "return window.notReloaded === true;"))
                .as("the bars moved without a reload").isEqualTo(true);
        assertThat(browser.fitsTheWindow()).as("the rollout page at 1400 px").isTrue();
        browser.screenshot("rollout");

        // pausing: the confirmation opens first, then the second button pauses it, as the signed-in key
        WebElement pause = browser.find(By.cssSelector("details[data-action=pause]"));
        assertThat(pause.getAttribute("open")).isNull();
        pause.findElement(By.tagName("summary")).click();
        browser.until(ExpectedConditions.visibilityOfElementLocated(By.id("pause-reason"))).sendKeys("looks odd");
        browser.find(By.cssSelector("[data-testid=confirm-pause]")).click();
        browser.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid=rollout-state]"), "paused"));
        assertThat(text(browser, "notice")).startsWith("Paused");
        assertThat(text(browser, "paused-reason")).contains("looks odd");
        assertThat(browser.driver().findElements(By.cssSelector("details[data-action=pause]"))).isEmpty();
        assertThat(browser.driver().findElements(By.cssSelector("details[data-action=resume]"))).hasSize(1);
        assertThat(agents.state(id)).isEqualTo("paused");
        browser.screenshot("rollout-paused");

        JsonNode entry = auditEntry(id, "rollout.paused");
        assertThat(entry.get("actor").asText()).isEqualTo(actorName(ADMIN));
        assertThat(entry.get("details").get("reason").asText()).contains("looks odd");

        browser.size(DashboardBrowser.PHONE);
        browser.driver().navigate().refresh();
        browser.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid=rollout-state]"), "paused"));
        assertThat(browser.fitsTheWindow()).as("the rollout page at 390 px").isTrue();
        browser.screenshot("rollout-phone");
    }

    @Test
    void aStateChangeElsewhereSwapsTheActionsThatApply() {
        fleet(2, "UTC");
        String id = publishRollout("v1.1.0", Map.of());
        DashboardBrowser browser = openLive("/rollouts/" + id);
        assertThat(actions(browser)).containsExactly("pause", "advance", "cancel", "rollback");

        HttpApi.Response paused = api.post(ApiPaths.rolloutAction(id, "pause"), SECOND_ADMIN, Map.of());
        assertThat(paused.status()).as(paused.toString()).isEqualTo(200);

        browser.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid=rollout-state]"), "paused"));
        browser.until(driver -> actions(browser).equals(List.of("resume", "cancel", "rollback")));
    }

    @Test
    void theCreatorsKeyIsRefusedApprovalAndASecondAdminApproves() {
        List<TestDevice> fleet = fleet(3, "UTC");
        String id = publishRollout("v1.1.0", Map.of("require_approval", "true"));
        DashboardBrowser browser = signedIn(ADMIN);
        browser.open("/rollouts/" + id);
        assertThat(text(browser, "rollout-state")).isEqualTo("awaiting approval");
        assertThat(text(browser, "rollout-approval")).contains("other than " + actorName(ADMIN));
        assertThat(text(browser, "approve-hint")).contains("another admin key");

        confirm(browser, "approve");
        assertThat(text(browser, "problem")).contains("another admin key must approve it");
        assertThat(text(browser, "rollout-state")).isEqualTo("awaiting approval");
        assertThat(agents.offered(fleet)).isEmpty();

        browser.driver().manage().deleteAllCookies();
        signedIn(SECOND_ADMIN).open("/rollouts/" + id);
        assertThat(browser.driver().findElements(By.cssSelector("[data-testid=approve-hint]"))).isEmpty();
        // by keyboard alone: the confirmation opens with Enter on its summary, and its button takes Enter
        browser.find(By.cssSelector("details[data-action=approve] summary")).sendKeys(Keys.ENTER);
        browser.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid=confirm-approve]")))
                .sendKeys(Keys.ENTER);
        browser.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-testid=notice]")));
        assertThat(text(browser, "notice")).isEqualTo("Approved: phase 1 is offered now.");
        assertThat(text(browser, "rollout-state")).isEqualTo("running");
        assertThat(text(browser, "rollout-approval")).contains("approved by " + actorName(SECOND_ADMIN));
        assertThat(agents.offered(fleet)).hasSize(3);
        assertThat(auditEntry(id, "rollout.approved").get("actor").asText()).isEqualTo(actorName(SECOND_ADMIN));
    }

    @Test
    void failuresAreGroupedByTheirMessageWithTheDevicesBehindEach() {
        List<TestDevice> fleet = fleet(14, "UTC");
        String id = publishRollout("v1.1.0", Map.of("min_sample", "100"));
        for (TestDevice device : fleet.subList(0, 12)) {
            agents.install(device, "failed");
        }
        TestDevice odd = fleet.get(12);
        agents.report(odd, "downloading", null);
        agents.report(odd, "failed", "disk full");
        agents.install(fleet.get(13), "completed");

        DashboardBrowser browser = signedIn(ADMIN);
        browser.open("/rollouts/" + id);
        List<WebElement> groups = browser.driver().findElements(By.cssSelector("[data-testid=failure]"));
        assertThat(groups).hasSize(2);
        assertThat(groups.get(0).findElement(By.tagName("code")).getText()).isEqualTo(RolloutAgents.FAILURE);
        assertThat(groups.get(0).findElement(By.cssSelector(".badge")).getText()).isEqualTo("12 devices");
        assertThat(groups.get(0).findElements(By.cssSelector(".failed-devices a"))).hasSize(10);
        assertThat(groups.get(0).findElement(By.cssSelector("[data-testid=failure-more]")).getText())
                .isEqualTo("and 2 more");
        assertThat(groups.get(1).findElement(By.tagName("code")).getText()).isEqualTo("disk full");
        WebElement device = groups.get(1).findElement(By.cssSelector(".failed-devices a"));
        assertThat(device.getAttribute("href")).endsWith("/devices/" + odd.uuid());
        assertThat(groups.get(1).findElements(By.cssSelector("[data-testid=failure-more]"))).isEmpty();
        assertThat(browser.find(By.cssSelector("tr[data-status=failed] td.num")).getText()).isEqualTo("13");
        assertThat(actions(browser)).contains("retry-failed");

        confirm(browser, "retry-failed");
        assertThat(text(browser, "notice")).isEqualTo("Its failed devices are offered the update again.");
        assertThat(browser.find(By.cssSelector("[data-testid=failures]")).getText())
                .contains("No device of this rollout has failed");
        assertThat(auditEntry(id, "rollout.retried_failed").get("details").get("devices").asInt()).isEqualTo(13);
    }

    @Test
    void aChangeWithoutTheCsrfTokenIsRefusedAndChangesNothing() {
        fleet(2, "UTC");
        String id = publishRollout("v1.1.0", Map.of());
        Session session = session(ADMIN);

        for (String action : List.of("pause", "cancel", "advance", "rollback", "approve", "resume", "retry-failed")) {
            HttpResponse<String> refused = dashboard.post("/rollouts/" + id + "/" + action, session, Map.of());
            assertThat(refused.statusCode()).as(action).isEqualTo(403);
        }
        assertThat(agents.state(id)).isEqualTo("running");
        assertThat(audit(id)).as("nothing was done to it").isEmpty();

        HttpResponse<String> paused = dashboard.post("/rollouts/" + id + "/pause", session,
                Map.of("_csrf", session.csrf(), "reason", "by hand"));
        assertThat(paused.statusCode()).isEqualTo(302);
        assertThat(paused.headers().firstValue("Location").orElseThrow()).endsWith("/rollouts/" + id);
        assertThat(agents.state(id)).isEqualTo("paused");
    }

    @Test
    void anActionThatDoesNotApplyIsRefusedWithTheServersSentence() {
        fleet(2, "UTC");
        String id = publishRollout("v1.1.0", Map.of());
        Session session = session(ADMIN);
        HttpResponse<String> resumed = dashboard.post("/rollouts/" + id + "/resume", session,
                Map.of("_csrf", session.csrf()));
        assertThat(resumed.statusCode()).isEqualTo(302);
        HttpResponse<String> page = dashboard.get("/rollouts/" + id, session);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("the rollout cannot be resumed: it is running");
        assertThat(agents.state(id)).isEqualTo("running");

        HttpResponse<String> tooLong = dashboard.post("/rollouts/" + id + "/pause", session,
                Map.of("_csrf", session.csrf(), "reason", "x".repeat(501)));
        assertThat(tooLong.statusCode()).isEqualTo(302);
        assertThat(dashboard.get("/rollouts/" + id, session).body()).contains("keep it to 500");
        assertThat(agents.state(id)).isEqualTo("running");
    }

    @Test
    void advanceCancelAndRollbackFromThePageAreTheServicesOwnAndInTheAuditLog() {
        fleet(3, "UTC");
        String empty = publishRollout("v1.0.0", Map.of());
        String id = publishRollout("v1.1.0", Map.of("phases", "1,100%"));
        Session session = session(SECOND_ADMIN);

        HttpResponse<String> advanced = dashboard.post("/rollouts/" + id + "/advance", session,
                Map.of("_csrf", session.csrf()));
        assertThat(advanced.statusCode()).isEqualTo(302);
        String page = dashboard.get("/rollouts/" + id, session).body();
        assertThat(page).contains("Advanced to phase 2.").contains("phase 2 of 2");
        assertThat(auditEntry(id, "rollout.phase_advanced").get("actor").asText())
                .isEqualTo(actorName(SECOND_ADMIN));

        dashboard.post("/rollouts/" + id + "/rollback", session, Map.of("_csrf", session.csrf(),
                "to_version", "v9.0.0", "reason", ""));
        assertThat(dashboard.get("/rollouts/" + id, session).body()).contains("to_version v9.0.0 is not below v1.1.0");
        assertThat(agents.state(id)).isEqualTo("running");

        dashboard.post("/rollouts/" + id + "/rollback", session, Map.of("_csrf", session.csrf(),
                "to_version", "", "reason", "bad build"));
        String rolledBack = dashboard.get("/rollouts/" + id, session).body();
        assertThat(rolledBack).contains("Rolled back: rollout ").contains("offers v1.0.0")
                .contains("data-testid=\"rolled-back-by\"");
        assertThat(agents.state(id)).isEqualTo("cancelled");
        JsonNode rollback = auditEntry(id, "rollout.rolled_back");
        assertThat(rollback.get("details").get("reason").asText()).contains("bad build");
        assertThat(rolledBack).doesNotContain("data-action=\"pause\"").doesNotContain("data-action=\"rollback\"");
        HttpResponse<String> rollbackPage = dashboard.get("/rollouts/" + rollback.get("details").get("rollback")
                .asText(), session);
        assertThat(rollbackPage.statusCode()).isEqualTo(200);
        assertThat(rollbackPage.body()).contains("Rolls back").contains("rollout " + id)
                .doesNotContain("data-action=\"rollback\"");

        // the release of the version everyone ran had no device to offer: the reconciler finishes it
        reconciler.tick();
        assertThat(agents.state(empty)).isEqualTo("finished");
        assertThat(dashboard.get("/rollouts/" + empty, session).body()).contains("never: the rollout has ended");
        assertThat(dashboard.get("/rollouts?state=finished", session).body()).contains("data-rollout=\"" + empty);

        String other = publishRollout("v1.2.0", Map.of("require_approval", "true"));
        dashboard.post("/rollouts/" + other + "/cancel", session, Map.of("_csrf", session.csrf(),
                "reason", "not tonight"));
        assertThat(dashboard.get("/rollouts/" + other, session).body()).contains("Cancelled: devices that had not");
        assertThat(agents.state(other)).isEqualTo("cancelled");
        assertThat(auditEntry(other, "rollout.cancelled").get("details").get("reason").asText())
                .contains("not tonight");
    }

    @Test
    void badIdsAndFiltersArePagesThatSaySoNeverAServerError() {
        Session session = session(ADMIN);
        HttpResponse<String> unknown = dashboard.get("/rollouts/0190a8c2-5b6e-7f00-8000-000000000000", session);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
        assertThat(unknown.body()).contains("Page not found")
                .contains("no rollout 0190a8c2-5b6e-7f00-8000-000000000000");

        for (String path : List.of("/rollouts/not-a-rollout", "/rollouts/1-1-1-1-1",
                "/rollouts?page=-1", "/rollouts?page=abc", "/rollouts?state=sleeping",
                "/rollouts/0190a8c2-5b6e-7f00-8000-00000000000g?part=live")) {
            HttpResponse<String> refused = dashboard.get(path, session);
            assertThat(refused.statusCode()).as(path).isEqualTo(400);
            assertThat(refused.body()).as(path).contains("data-testid=\"error-message\"").doesNotContain("Exception")
                    .doesNotContain("\tat ");
        }
        HttpResponse<String> post = dashboard.post("/rollouts/nope/pause", session, Map.of("_csrf", session.csrf()));
        assertThat(post.statusCode()).isEqualTo(400);
        HttpResponse<String> unknownPost = dashboard.post("/rollouts/0190a8c2-5b6e-7f00-8000-000000000000/pause",
                session, Map.of("_csrf", session.csrf()));
        assertThat(unknownPost.statusCode()).as("refused on the page it sends back to").isEqualTo(302);
    }

    @Test
    void theListShowsTheNewestFirstFiltersByStateAndFollowsNewRollouts() {
        List<TestDevice> fleet = fleet(4, "UTC", "Asia/Tokyo");
        String first = publishRollout("v1.1.0", Map.of("phases", "1,100%", "min_finished", "1"));
        agents.install(agents.offered(fleet).get(0), "completed");
        reconciler.tick();
        clock.advance(Duration.ofMinutes(1));
        String second = publishRollout("v1.2.0", Map.of("require_approval", "true"));

        DashboardBrowser browser = openLive("/rollouts");
        assertThat(rows(browser)).containsExactly(second, first);
        assertThat(browser.find(By.cssSelector("[data-testid=new-rollout]")).getAttribute("href"))
                .endsWith("/rollouts/new");
        WebElement row = browser.find(By.cssSelector("tr[data-rollout='" + first + "']"));
        assertThat(row.getText()).contains("v1.1.0").contains("running").contains("phase 2 of 2");
        assertThat(row.findElement(By.cssSelector("svg.rollout-bar")).getAttribute("data-succeeded")).isEqualTo("1");

        clock.advance(Duration.ofMinutes(1));
        String third = publishRollout("v1.3.0", Map.of("start_at", clock.instant().plusSeconds(7200).toString()));
        browser.until(driver -> rows(browser).equals(List.of(third, second, first)));
        assertThat(browser.fitsTheWindow()).as("the list at 1400 px").isTrue();
        browser.screenshot("rollouts");

        new Select(browser.find(By.id("state-filter")))
                .selectByValue("awaiting_approval");
        browser.find(By.cssSelector(".rollouts-filter button")).click();
        browser.until(ExpectedConditions.urlContains("state=awaiting_approval"));
        assertThat(rows(browser)).containsExactly(second);

        browser.size(DashboardBrowser.PHONE);
        browser.open("/rollouts");
        assertThat(browser.fitsTheWindow()).as("the list at 390 px").isTrue();
        browser.screenshot("rollouts-phone");

        HttpResponse<String> fragment = dashboard.get("/rollouts?part=in-progress", session(ADMIN));
        assertThat(fragment.statusCode()).isEqualTo(200);
        assertThat(fragment.body()).contains("id=\"rollouts-in-progress\"").contains("v1.1.0").contains("v1.2.0")
                .contains("v1.3.0").contains("rollout-bar").doesNotContain("<html");
    }

    // ---- helpers

    private List<TestDevice> fleet(int size, String... zones) {
        List<TestDevice> fleet = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            fleet.add(register(zones[i % zones.length]));
        }
        return fleet;
    }

    private String publishRollout(String version, Map<String, String> options) {
        Map<String, Object> form = form(version, "urgent", null, null);
        form.putAll(options);
        form.put("package", samplePackage(version, UpdateType.URGENT, null));
        HttpApi.Response published = api.multipart(ApiPaths.CREATE_UPDATE, ADMIN, form);
        assertThat(published.status()).as(published.toString()).isEqualTo(201);
        return published.json().get("rollout").get("id").asText();
    }

    private static By phaseBarBy(int phase) {
        return By.cssSelector("[data-testid=phase-" + phase + "] svg.rollout-bar");
    }

    private static WebElement phaseBar(DashboardBrowser browser, int phase) {
        return browser.find(phaseBarBy(phase));
    }

    private static String text(DashboardBrowser browser, String testId) {
        return browser.find(By.cssSelector("[data-testid=" + testId + "]")).getText().strip();
    }

    /** The actions the page offers, in its order. */
    @SuppressWarnings("unchecked")
    private static List<String> actions(DashboardBrowser browser) {
        return (List<String>) script(browser, 
                "return Array.from(document.querySelectorAll('#rollout-actions details[data-action]'))"
                        + ".map(function (details) { return details.dataset.action; });");
    }

    /** The rollouts the list shows, read at once (the list may be swapped in between two reads). */
    @SuppressWarnings("unchecked")
    private static List<String> rows(DashboardBrowser browser) {
        return (List<String>) script(browser, 
                "return Array.from(document.querySelectorAll('#rollout-list tbody tr'))"
                        + ".map(function (row) { return row.dataset.rollout; });");
    }

    private static Object script(DashboardBrowser browser, String script) {
        return ((JavascriptExecutor) browser.driver()).executeScript(script);
    }

    /** Opens an action's confirmation and confirms it; waits for the page it sends back to. */
    private static void confirm(DashboardBrowser browser, String action) {
        WebElement details = browser.find(By.cssSelector("details[data-action=" + action + "]"));
        details.findElement(By.tagName("summary")).click();
        WebElement yes = browser.until(ExpectedConditions.elementToBeClickable(
                By.cssSelector("[data-testid=confirm-" + action + "]")));
        yes.click();
        browser.until(ExpectedConditions.or(
                ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-testid=notice]")),
                ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-testid=problem]"))));
    }

    /** The rollout's audit entries by an operator (the reconciler's and its creation left out). */
    private List<JsonNode> audit(String rolloutId) {
        HttpApi.Response page = api.get(ApiPaths.AUDIT + "?target_type=rollout&target_id=" + rolloutId, ADMIN);
        assertThat(page.status()).as(page.toString()).isEqualTo(200);
        return StreamSupport.stream(page.json().get("entries").spliterator(), false)
                .filter(entry -> !entry.get("actor").asText().equals("system")).toList();
    }

    private JsonNode auditEntry(String rolloutId, String action) {
        HttpApi.Response page = api.get(ApiPaths.AUDIT + "?target_type=rollout&target_id=" + rolloutId + "&action="
                + action, ADMIN);
        assertThat(page.status()).as(page.toString()).isEqualTo(200);
        assertThat(page.json().get("entries")).as(action + " in the audit log").hasSize(1);
        return page.json().get("entries").get(0);
    }

    /** The name the audit log gives the test's unnamed admin keys: by their place in OTA_ADMIN_API_KEY. */
    private static String actorName(String key) {
        return AdminKeyEntry.parse(key, key.equals(ADMIN) ? 1 : 2).name();
    }
}
