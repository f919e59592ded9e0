package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.protocol.api.UpdateType;
import dev.javia.ota.server.testing.DashboardBrowser;
import dev.javia.ota.server.update.RolloutReconciler;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.springframework.beans.factory.annotation.Autowired;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The "done when", in one go, in a real browser, with nothing but the pages: an operator signs in, finds the
 * device whose update failed and why, schedules a phased rollout for tonight by uploading a package, watches it start
 * and advance as the devices report, and pauses it. The devices are simulated agents speaking the device API; the
 * clock and the reconciler's tick are the test's, so "tonight" comes when the test says.
 */
class DashboardWalkthroughTests extends DashboardPageSupport {

    private static final String OPERATOR_ZONE = "Europe/Berlin";

    @Autowired
    RolloutReconciler reconciler;

    @Test
    void anOperatorFindsAFailedDeviceSchedulesAPhasedRolloutForTonightWatchesItAdvanceAndPausesIt() {
        RolloutAgents agents = new RolloutAgents(api, ADMIN);
        List<TestDevice> fleet = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fleet.add(register(i % 2 == 0 ? "Europe/Berlin" : "America/New_York"));
        }
        // earlier today: an update failed on one device, and its rollout was cancelled
        String earlier = published("v1.1.0", "urgent");
        TestDevice kitchen = fleet.get(0);
        assertThat(report(kitchen, earlier, "downloading", null).status()).isEqualTo(200);
        assertThat(report(kitchen, earlier, "failed", "apt-get install failed: E: Unable to locate package libfoo")
                .status()).isEqualTo(200);
        String earlierRollout = api.get(ApiPaths.update(earlier), ADMIN).json().get("rollout").get("id").asText();
        assertThat(api.post(ApiPaths.rolloutAction(earlierRollout, "cancel"), ADMIN, Map.of()).status())
                .isEqualTo(200);

        // sign in; the overview names the failed device; its page says why
        DashboardBrowser browser = signedIn(ADMIN);
        ((ChromeDriver) browser.driver()).executeCdpCommand("Emulation.setTimezoneOverride",
                Map.of("timezoneId", OPERATOR_ZONE));
        browser.open("/");
        browser.until(ExpectedConditions.textToBe(By.id("live"), "Live"));
        browser.find(By.cssSelector("[data-kind=failed] [data-device='" + kitchen.uuid() + "'] a")).click();
        browser.until(ExpectedConditions.urlToBe(browser.url("/devices/" + kitchen.uuid())));
        assertThat(browser.find(By.cssSelector("tr[data-version='v1.1.0'] [data-testid=error-message]")).getText())
                .contains("Unable to locate package libfoo");

        // a phased rollout of the fix for tonight at 20:00 in the operator's zone, by uploading its package
        browser.find(By.linkText("Rollouts")).click();
        browser.find(By.linkText("New rollout")).click();
        browser.until(ExpectedConditions.attributeToBe(By.id("zone"), "value", OPERATOR_ZONE));
        Path zip = samplePackage("v1.2.0", UpdateType.URGENT, null);
        browser.find(By.id("package")).sendKeys(zip.toAbsolutePath().toString());
        type(browser, "version", "v1.2.0");
        new Select(browser.find(By.id("update_type"))).selectByValue("urgent");
        type(browser, "phases", "1,50%,100%");
        ((ChromeDriver) browser.driver()).executeScript("var field = document.getElementById('start_at');"
                + " field.value = arguments[0]; field.dispatchEvent(new Event('change', {bubbles: true}));",
                "2026-06-15T20:00");
        Instant tonight = LocalDateTime.parse("2026-06-15T20:00").atZone(ZoneId.of(OPERATOR_ZONE)).toInstant();
        browser.find(By.cssSelector("#schedule-form button[type=submit]")).click();
        browser.until(ExpectedConditions.urlMatches(".*/rollouts/[0-9a-f-]{36}$"));
        String id = browser.driver().getCurrentUrl().replaceAll(".*/rollouts/", "");
        assertThat(text(browser, "rollout-state")).isEqualTo("scheduled");

        // tonight comes: it starts, the canary installs, and the page follows without a reload
        clock.set(tonight.plus(Duration.ofMinutes(1)));
        reconciler.tick();
        browser.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid=rollout-state]"), "running"));
        List<TestDevice> canaries = agents.offered(fleet);
        assertThat(canaries).hasSize(1);
        agents.install(canaries.get(0), "completed");
        reconciler.tick();
        browser.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid=rollout-phase]"), "phase 2 of 3"));
        List<TestDevice> phaseTwo = agents.offered(fleet);
        assertThat(phaseTwo).as("phase 2 is half of the fleet: the canary and one more").hasSize(1)
                .doesNotContain(canaries.get(0));

        // the operator pauses it, through its confirmation
        WebElement pause = browser.find(By.cssSelector("details[data-action=pause]"));
        pause.findElement(By.tagName("summary")).click();
        browser.until(ExpectedConditions.visibilityOfElementLocated(By.id("pause-reason")))
                .sendKeys("waiting for the night's reports");
        browser.find(By.cssSelector("[data-testid=confirm-pause]")).click();
        browser.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid=rollout-state]"), "paused"));
        assertThat(agents.state(id)).isEqualTo("paused");
        assertThat(api.get(ApiPaths.AUDIT + "?action=rollout.paused", ADMIN).json().get("entries").get(0)
                .get("target_id").asText()).isEqualTo(id);
    }

    private static void type(DashboardBrowser browser, String field, String text) {
        WebElement input = browser.find(By.id(field));
        input.clear();
        input.sendKeys(text);
    }

    private static String text(DashboardBrowser browser, String testId) {
        return browser.find(By.cssSelector("[data-testid=" + testId + "]")).getText();
    }
}
