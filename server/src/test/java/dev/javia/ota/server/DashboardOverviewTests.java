package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.device.FleetCounts;
import dev.javia.ota.server.device.OfflineSweep;
import dev.javia.ota.server.testing.DashboardBrowser;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.springframework.beans.factory.annotation.Autowired;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fleet overview at {@code /} in a real browser: devices by status and by version (kept counts, V14), the devices
 * with issues (a failed last update, offline for more than a day, stuck in a step), each linking to its device and
 * saying why, and all of it live when agents report.
 */
class DashboardOverviewTests extends DashboardPageSupport {

    @Autowired
    FleetCounts counts;
    @Autowired
    OfflineSweep offlineSweep;

    @Test
    void theOverviewShowsTheFleetByStatusAndVersionAndAFailureAppearsLive() {
        TestDevice kitchen = register("Europe/Berlin", "v1.0.0");
        TestDevice hall = register("Europe/Berlin", "v1.0.0");
        register("America/Los_Angeles", "v0.9.0");
        String update = published("v1.1.0", "urgent");

        DashboardBrowser browser = openLive("/");
        assertThat(browser.find(By.cssSelector("[data-testid=device-count]")).getText()).isEqualTo("3");
        assertThat(bar(browser, "by-status", "[data-status=online]")).isEqualTo("3");
        assertThat(bar(browser, "by-version", "[data-version='v1.0.0']")).isEqualTo("2");
        assertThat(bar(browser, "by-version", "[data-version='v0.9.0']")).isEqualTo("1");
        assertThat(browser.find(By.cssSelector("[data-testid=by-status] [data-status=online]")).getText())
                .as("what a screen reader reads: the label, the count and the share")
                .contains("Online").contains("3").contains("100%");
        assertThat(browser.find(By.cssSelector("[data-testid=no-issues]")).isDisplayed()).isTrue();

        // as an agent does: the update starts (updating, live), then fails with its reason
        reports(kitchen, update, "downloading", null);
        browser.until(d -> "1".equals(bar(browser, "by-status", "[data-status=updating]")));
        reports(kitchen, update, "failed", "apt-get install failed: E: Unable to locate package libfoo");

        browser.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("[data-kind=failed] [data-device='" + kitchen.uuid() + "']")));
        WebElement issue = browser.find(By.cssSelector("[data-kind=failed] [data-device='" + kitchen.uuid() + "']"));
        assertThat(issue.getText()).contains("v1.1.0 failed").contains("Unable to locate package libfoo");
        assertThat(browser.find(By.cssSelector("[data-kind=failed] [data-testid=issue-count]")).getText())
                .isEqualTo("1");
        browser.until(d -> "3".equals(bar(browser, "by-status", "[data-status=online]")));

        // a completed install moves a device to its new version, live
        reports(hall, update, "downloading", null);
        reports(hall, update, "installing", null);
        reports(hall, update, "completed", null);
        browser.until(d -> "1".equals(bar(browser, "by-version", "[data-version='v1.1.0']")));
        assertThat(bar(browser, "by-version", "[data-version='v1.0.0']")).isEqualTo("1");
        assertThat(browser.fitsTheWindow()).isTrue();
        browser.screenshot("overview");
        browser.size(DashboardBrowser.PHONE);
        browser.open("/");
        assertThat(browser.fitsTheWindow()).as("the overview at 390 px").isTrue();
        browser.screenshot("overview-phone");

        issue = browser.find(By.cssSelector("[data-kind=failed] [data-device='" + kitchen.uuid() + "'] a"));
        issue.click();
        browser.until(ExpectedConditions.urlToBe(browser.url("/devices/" + kitchen.uuid())));
    }

    @Test
    void rolloutsInProgressShowTheirPhasesAndAppearLive() {
        register("Europe/Berlin");
        register("Europe/Berlin");
        DashboardBrowser browser = openLive("/");
        assertThat(browser.find(By.cssSelector("[data-testid=no-rollout-in-progress]")).isDisplayed()).isTrue();

        String id = publish("v1.1.0", "urgent").json().get("rollout").get("id").asText();

        By card = By.cssSelector("#rollouts-in-progress [data-rollout='" + id + "']");
        browser.until(ExpectedConditions.presenceOfElementLocated(card));
        assertThat(browser.find(card).getText()).contains("v1.1.0").contains("phase 1 of 1");
        browser.find(By.cssSelector("#rollouts-in-progress [data-rollout='" + id + "'] h3 a")).click();
        browser.until(ExpectedConditions.urlToBe(browser.url("/rollouts/" + id)));
    }

    @Test
    void anUnknownPartOfTheOverviewIsRefusedNotAServerError() {
        var refused = dashboard.get("/?part=everything", session(ADMIN));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("has the parts &#39;counts&#39; and &#39;issues&#39;, not &#39;everything&#39;");
    }

    @Test
    void devicesOfflineForMoreThanADayAndStuckInAStepAreIssuesWithTheirReasons() {
        TestDevice silent = register("UTC");
        TestDevice stuck = register("UTC");
        register("UTC");
        String update = published("v1.1.0", "urgent");
        reports(stuck, update, "downloading", null);
        assertThat(api.post(ApiPaths.heartbeat(stuck.uuid()), stuck.token(), Map.of("current_version", "v1.0.0",
                "status", "updating", "step", "installing", "progress_percent", 100)).status()).isEqualTo(200);

        clock.advance(Duration.ofHours(3));
        assertThat(api.post(ApiPaths.heartbeat(stuck.uuid()), stuck.token(), Map.of("current_version", "v1.0.0",
                "status", "updating", "step", "installing")).status()).isEqualTo(200);
        DashboardBrowser browser = signedIn(ADMIN);
        assertThat(browser.find(By.cssSelector("[data-kind=stuck] [data-device='" + stuck.uuid() + "']")).getText())
                .contains("stuck: in step installing").contains("for 3 hours");
        assertThat(browser.driver().findElements(By.cssSelector("[data-kind=offline]"))).isEmpty();

        clock.advance(Duration.ofDays(2));
        offlineSweep.tick();
        browser.open("/");
        assertThat(browser.find(By.cssSelector("[data-kind=offline] [data-device='" + silent.uuid() + "']")).getText())
                .contains("offline: not heard from for 2 days");
        assertThat(browser.find(By.cssSelector("[data-kind=offline] [data-testid=issue-count]")).getText())
                .isEqualTo("3");
        assertThat(bar(browser, "by-status", "[data-status=offline]")).isEqualTo("3");
    }

    @Test
    void theKeptCountsAreTheTableCountedAfterEveryKindOfWriteAndAFold() {
        List<TestDevice> fleet = List.of(register("UTC", "v1.0.0"), register("UTC", "v1.0.0"), register("UTC", null));
        api.patch(ApiPaths.deviceStatus(fleet.get(0).uuid()), ADMIN, Map.of("status", "offline",
                "current_version", "v1.2.0"));
        // heartbeats that change nothing the counts hold add no change to fold
        long before = jdbc.queryForObject("select count(*) from fleet_count_changes", Long.class);
        api.post(ApiPaths.heartbeat(fleet.get(1).uuid()), fleet.get(1).token(), Map.of("current_version", "v1.0.0"));
        jdbc.update("update devices set last_seen = last_seen + interval '1 second'");
        assertThat(jdbc.queryForObject("select count(*) from fleet_count_changes", Long.class)).isEqualTo(before);
        jdbc.update("delete from devices where device_uuid = ?", fleet.get(2).uuid());

        assertThat(kept()).isEqualTo(counted());
        assertThat(counts.fold()).isPositive();
        assertThat(jdbc.queryForObject("select count(*) from fleet_count_changes", Long.class)).isZero();
        assertThat(kept()).isEqualTo(counted()).hasSize(2);
    }

    private Map<String, Long> kept() {
        return counts.now().stream().collect(java.util.stream.Collectors.toMap(
                count -> count.status().wire() + "/" + count.version(), FleetCounts.Count::devices));
    }

    private Map<String, Long> counted() {
        return jdbc.query("select status, current_version, count(*) from devices group by 1, 2", (row, n) -> Map.entry(
                        row.getString(1) + "/" + row.getString(2), row.getLong(3))).stream()
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private void reports(TestDevice device, String update, String status, String error) {
        assertThat(report(device, update, status, error).status()).isEqualTo(200);
    }

    /** The count of one bar of a chart, or null when it has none. */
    private static String bar(DashboardBrowser browser, String chart, String row) {
        List<WebElement> found = browser.driver().findElements(
                By.cssSelector("[data-testid=" + chart + "] li" + row + " [data-testid=count]"));
        return found.isEmpty() ? null : found.get(0).getText();
    }
}
