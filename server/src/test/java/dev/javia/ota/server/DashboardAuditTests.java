package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.audit.AuditLog;
import dev.javia.ota.server.testing.DashboardBrowser;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.springframework.beans.factory.annotation.Autowired;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The audit log's page in a real browser: what is done through the API and through the dashboard appears at the
 * top of the first page as it happens, under the same actor, linked to its subject's page; the filters are the
 * API's (actor, action, subject, time range) and the pages follow each other. The log is never emptied between
 * tests, so each test looks at what it made.
 */
class DashboardAuditTests extends DashboardPageSupport {

    private static final Instant LATER = Instant.parse("2036-06-15T12:00:00Z");
    private static final By ROWS = By.cssSelector("[data-testid=audit] tbody tr");

    @Autowired
    AuditLog audit;

    @Test
    void changesThroughTheApiAndTheDashboardAppearLiveLinkedToTheirSubject() {
        // later than what other tests record (the log is newest first, and never emptied)
        clock.set(LATER);
        register("Europe/Berlin");
        DashboardBrowser browser = openLive("/audit");

        String id = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", "https://93.184.215.14/hooks/ota"))
                .json().get("webhook").get("id").asString();
        browser.until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("[data-testid=audit] tbody tr:first-child [data-testid=subject]"), id));
        assertThat(firstRow(browser).findElement(By.cssSelector("[data-testid=action]")).getText())
                .isEqualTo("webhook.created");

        Session session = session(ADMIN);
        HttpResponse<String> disabled = dashboard.post("/webhooks/" + id + "/disable", session,
                Map.of("_csrf", session.csrf()));
        assertThat(disabled.statusCode()).isEqualTo(302);
        browser.until(ExpectedConditions.textToBe(
                By.cssSelector("[data-testid=audit] tbody tr:first-child [data-testid=action]"), "webhook.changed"));

        List<WebElement> rows = browser.driver().findElements(ROWS);
        String actor = jdbc.queryForObject("select actor from audit_log where action = 'webhook.created'"
                + " and target_id = ?", String.class, id);
        for (WebElement row : rows.subList(0, 2)) {
            assertThat(row.findElement(By.cssSelector("[data-testid=actor]")).getText()).isEqualTo(actor);
            assertThat(row.findElement(By.cssSelector("[data-testid=subject]")).getText()).contains("webhook")
                    .contains(id);
            assertThat(row.getText()).contains("127.0.0.1");
        }
        assertThat(rows.get(0).getText()).contains("\"changed\":{\"enabled\":{\"new\":false,\"old\":true}}");
        browser.screenshot("audit");
        browser.size(DashboardBrowser.PHONE);
        browser.open("/audit");
        assertThat(browser.fitsTheWindow()).as("the log at 390 px").isTrue();
        browser.screenshot("audit-phone");
        browser.size(DashboardBrowser.LAPTOP);

        browser.open("/audit");
        firstRow(browser).findElement(By.cssSelector("[data-testid=subject] a")).click();
        browser.until(ExpectedConditions.urlToBe(browser.url("/webhooks/" + id)));
    }

    @Test
    void theFiltersAreTheApisActorActionSubjectAndTimeRange() {
        TestDevice device = register("Europe/Berlin");
        String id = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", "https://93.184.215.14/hooks/ota"))
                .json().get("webhook").get("id").asString();
        clock.advance(Duration.ofHours(1));
        assertThat(api.patch(ApiPaths.webhook(id), ADMIN, Map.of("enabled", false)).status()).isEqualTo(200);
        DashboardBrowser browser = signedIn(ADMIN);

        browser.open("/audit");
        browser.find(By.id("action")).sendKeys("webhook.changed");
        browser.find(By.cssSelector("[data-testid=audit-filters] button[type=submit]")).click();
        browser.until(ExpectedConditions.urlContains("action=webhook.changed"));
        List<WebElement> changed = browser.driver().findElements(ROWS);
        assertThat(changed).isNotEmpty().allSatisfy(row -> assertThat(
                row.findElement(By.cssSelector("[data-testid=action]")).getText()).isEqualTo("webhook.changed"));
        assertThat(browser.find(By.cssSelector("[data-testid=audit-total]")).getText()).isEqualTo("(" + jdbc
                .queryForObject("select count(*) from audit_log where action = 'webhook.changed'", Long.class) + ")");

        browser.open("/audit");
        new org.openqa.selenium.support.ui.Select(browser.find(By.id("target_type"))).selectByValue("device");
        browser.find(By.id("target_id")).sendKeys(device.uuid());
        browser.find(By.id("actor")).sendKeys("enrollment");
        browser.find(By.cssSelector("[data-testid=audit-filters] button[type=submit]")).click();
        browser.until(ExpectedConditions.urlContains("target_id=" + device.uuid()));
        assertThat(browser.driver().findElements(ROWS)).hasSize(1);
        assertThat(firstRow(browser).findElement(By.cssSelector("[data-testid=action]")).getText())
                .isEqualTo("device.token_issued");
        assertThat(firstRow(browser).findElement(By.cssSelector("[data-testid=subject] a")).getDomAttribute("href"))
                .isEqualTo("/devices/" + device.uuid());

        browser.open("/audit?target_id=" + id + "&since=2026-06-15T12:30");
        assertThat(actions(browser)).containsExactly("webhook.changed");
        assertThat(browser.find(By.id("since")).getDomProperty("value")).isEqualTo("2026-06-15T12:30");
        browser.open("/audit?target_id=" + id + "&until=2026-06-15T12:30:00Z");
        assertThat(actions(browser)).containsExactly("webhook.created");
        browser.open("/audit?target_id=" + id + "&since=2026-06-15T13:00&until=2026-06-15T13:00:01");
        assertThat(actions(browser)).containsExactly("webhook.changed");

        Session session = session(ADMIN);
        HttpResponse<String> unreadable = dashboard.get("/audit?since=yesterday", session);
        assertThat(unreadable.statusCode()).isEqualTo(400);
        assertThat(unreadable.body().replace("&#39;", "'")).contains("since must be an ISO-8601 instant")
                .contains("data-testid=\"audit-filters\"").doesNotContain("Exception");
    }

    @Test
    void theLogIsPagedNewestFirst() {
        String subject = UUID.randomUUID().toString();
        for (int i = 0; i < 60; i++) {
            audit.recordSystem("test.paged", "update", subject, Map.of("n", i));
        }
        DashboardBrowser browser = signedIn(ADMIN);

        browser.open("/audit?target_type=update&target_id=" + subject);
        assertThat(browser.driver().findElements(ROWS)).hasSize(50);
        assertThat(firstRow(browser).getText()).contains("{\"n\":59}");
        assertThat(browser.find(By.cssSelector(".pager")).getText()).contains("Page 1 of 2");
        assertThat(browser.driver().findElements(By.cssSelector(".pager a[rel=prev]"))).isEmpty();

        browser.find(By.cssSelector(".pager a[rel=next]")).click();
        browser.until(ExpectedConditions.urlContains("page=1"));
        assertThat(browser.driver().getCurrentUrl()).contains("target_id=" + subject);
        List<WebElement> second = browser.driver().findElements(ROWS);
        assertThat(second).hasSize(10);
        assertThat(second.get(9).getText()).contains("{\"n\":0}");
        assertThat(browser.find(By.cssSelector(".pager")).getText()).contains("Page 2 of 2");
        assertThat(browser.driver().findElements(By.cssSelector(".pager a[rel=next]"))).isEmpty();
        assertThat(firstRow(browser).findElement(By.cssSelector("[data-testid=subject] a")).getDomAttribute("href"))
                .as("an update has no page: its link filters the log").contains("target_id=" + subject);

        browser.find(By.cssSelector(".pager a[rel=prev]")).click();
        browser.until(ExpectedConditions.urlContains("page=0"));
        assertThat(browser.driver().findElements(ROWS)).hasSize(50);
    }

    private static WebElement firstRow(DashboardBrowser browser) {
        return browser.find(By.cssSelector("[data-testid=audit] tbody tr:first-child"));
    }

    private static List<String> actions(DashboardBrowser browser) {
        return browser.driver().findElements(By.cssSelector("[data-testid=audit] [data-testid=action]")).stream()
                .map(WebElement::getText).toList();
    }
}
