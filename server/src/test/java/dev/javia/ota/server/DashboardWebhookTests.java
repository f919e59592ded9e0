package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.notify.Notifications;
import dev.javia.ota.server.notify.WebhookDelivery;
import dev.javia.ota.server.testing.DashboardBrowser;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import dev.javia.ota.server.testing.HttpApi;
import dev.javia.ota.server.testing.WebhookReceiver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The webhook pages in a real browser: a webhook added to a receiver on 127.0.0.1, its secret shown once, its
 * deliveries appearing live as the job posts them (one answered 200, one 500 and waiting for its retry), disabled
 * behind a confirmation; an address the API refuses is refused on the page in the API's words; and without the CSRF
 * token nothing changes.
 */
class DashboardWebhookTests extends DashboardPageSupport {

    @Autowired
    Notifications notifications;
    @Autowired
    WebhookDelivery delivery;

    private WebhookReceiver receiver;

    @BeforeEach
    void startTheReceiver() {
        receiver = WebhookReceiver.start();
    }

    @AfterEach
    void stopTheReceiver() {
        receiver.close();
    }

    @Test
    void aWebhookIsAddedItsDeliveriesShowLiveAndItIsDisabled() throws Exception {
        DashboardBrowser browser = openLive("/webhooks");
        assertThat(browser.find(By.cssSelector("[data-testid=no-webhooks]")).isDisplayed()).isTrue();

        browser.find(By.id("url")).sendKeys(receiver.url());
        browser.find(By.id("description")).sendKeys("ops channel");
        browser.find(By.cssSelector("[data-testid=add-webhook] button[type=submit]")).click();

        browser.until(ExpectedConditions.urlMatches("/webhooks/[0-9a-f-]{36}$"));
        String id = browser.driver().getCurrentUrl().replaceAll(".*/webhooks/", "");
        String shown = browser.find(By.cssSelector("[data-testid=secret] code.secret-value")).getText();
        assertThat(shown).hasSize(64).isEqualTo(jdbc.queryForObject("select secret from webhooks", String.class));
        assertThat(browser.find(By.cssSelector("[data-testid=notice]")).getText()).contains("Subscribed");
        assertThat(browser.find(By.cssSelector("[data-testid=url]")).getText()).isEqualTo(receiver.url());
        assertThat(browser.find(By.cssSelector("[data-testid=no-deliveries]")).isDisplayed()).isTrue();
        browser.until(ExpectedConditions.textToBe(By.id("live"), "Live"));

        notifications.publish(Notifications.Events.ROLLOUT_PAUSED, "Rollout v1.2.0 paused", Map.of());
        assertThat(delivery.tick()).isEqualTo(1);
        browser.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("[data-testid=deliveries] tbody tr"), 1));
        receiver.answering(500);
        notifications.publish(Notifications.Events.DEVICE_UPDATE_FAILED, "kitchen-pi failed v1.2.0", Map.of());
        assertThat(delivery.tick()).isEqualTo(1);
        browser.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("[data-testid=deliveries] tbody tr"), 2));

        List<WebElement> rows = browser.driver().findElements(By.cssSelector("[data-testid=deliveries] tbody tr"));
        assertThat(rows.get(0).getText()).contains("device.update_failed").contains("pending").contains("HTTP 500")
                .contains("the receiver answered 500");
        assertThat(rows.get(0).findElements(By.cssSelector("td[data-label='Next try'] time"))).hasSize(1);
        assertThat(rows.get(1).getText()).contains("rollout.paused").contains("delivered").contains("HTTP 200");
        assertThat(browser.driver().findElements(By.cssSelector("[data-testid=secret]"))).as("still this page")
                .hasSize(1);
        browser.screenshot("webhook");

        browser.open("/webhooks/" + id);
        assertThat(browser.driver().findElements(By.cssSelector("[data-testid=secret]"))).as("shown once").isEmpty();
        assertThat(browser.driver().getPageSource()).doesNotContain(shown);

        browser.open("/webhooks");
        WebElement listed = browser.find(By.cssSelector("tr[data-webhook='" + id + "']"));
        assertThat(listed.getText()).contains(receiver.url()).contains("ops channel").contains("all events")
                .contains("enabled");
        assertThat(listed.findElement(By.cssSelector("[data-testid=health]")).getText()).contains("retrying")
                .contains("HTTP 500").contains("device.update_failed");
        browser.screenshot("webhooks");
        browser.size(DashboardBrowser.PHONE);
        browser.open("/webhooks");
        assertThat(browser.fitsTheWindow()).as("the list at 390 px").isTrue();
        browser.screenshot("webhooks-phone");
        browser.size(DashboardBrowser.LAPTOP);

        browser.open("/webhooks/" + id);
        browser.find(By.xpath("//summary[normalize-space()='Disable…']")).click();
        browser.find(By.xpath("//button[normalize-space()='Yes, disable']")).click();
        browser.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid=notice]"),
                "Disabled"));
        assertThat(browser.find(By.cssSelector("[data-testid=state]")).getText()).isEqualTo("disabled");
        assertThat(jdbc.queryForObject("select enabled from webhooks", Boolean.class)).isFalse();
        assertThat(jdbc.queryForObject("select count(*) from audit_log where action = 'webhook.changed'"
                + " and target_id = ?", Integer.class, id)).isEqualTo(1);

        browser.find(By.xpath("//summary[normalize-space()='Delete…']")).click();
        browser.find(By.xpath("//button[normalize-space()='Yes, delete']")).click();
        browser.until(ExpectedConditions.urlToBe(browser.url("/webhooks")));
        assertThat(browser.find(By.cssSelector("[data-testid=notice]")).getText()).contains("Deleted");
        assertThat(jdbc.queryForObject("select count(*) from webhooks", Integer.class)).isZero();
    }

    @Test
    void aPrivateAddressIsRefusedOnThePageInTheApisWords() {
        try (ConfigurableApplicationContext shipped = startSecondInstance(
                Map.of("ota.webhooks.allow-private-addresses", "false"))) {
            String base = "http://127.0.0.1:" + ((WebServerApplicationContext) shipped).getWebServer().getPort();
            String url = "http://10.1.2.3/hook";
            HttpApi.Response api = new HttpApi(base).post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", url));
            assertThat(api.status()).isEqualTo(400);

            // the session lives in the database: the same browser is signed in on the second instance too
            DashboardBrowser browser = signedIn(ADMIN);
            browser.driver().get(base + "/webhooks");
            browser.find(By.id("url")).sendKeys(url);
            browser.find(By.cssSelector("[data-testid=add-webhook] button[type=submit]")).click();

            browser.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-testid=problem]")));
            assertThat(browser.find(By.cssSelector("[data-testid=problem]")).getText())
                    .isEqualTo(api.json().get("detail").asString())
                    .contains("OTA_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES");
            assertThat(browser.find(By.id("url")).getDomProperty("value")).as("what was typed stays").isEqualTo(url);
            assertThat(jdbc.queryForObject("select count(*) from webhooks", Integer.class)).isZero();
        }
    }

    @Test
    void withoutTheCsrfTokenNothingChanges() {
        String id = api.post(ApiPaths.WEBHOOKS, ADMIN, Map.of("url", receiver.url())).json().get("webhook").get("id")
                .asString();
        Session session = session(ADMIN);

        for (String action : List.of("disable", "delete")) {
            HttpResponse<String> refused = dashboard.post("/webhooks/" + id + "/" + action, session, Map.of());
            assertThat(refused.statusCode()).as(action).isEqualTo(403);
            assertThat(refused.body()).contains("security token");
        }
        assertThat(jdbc.queryForObject("select enabled from webhooks where id = ?::uuid", Boolean.class, id)).isTrue();

        HttpResponse<String> disabled = dashboard.post("/webhooks/" + id + "/disable", session,
                Map.of("_csrf", session.csrf()));
        assertThat(disabled.statusCode()).isEqualTo(302);
        assertThat(disabled.headers().firstValue("Location").orElseThrow()).endsWith("/webhooks/" + id);
        assertThat(jdbc.queryForObject("select enabled from webhooks where id = ?::uuid", Boolean.class, id)).isFalse();
    }

    @Test
    void aSecretGivenIsKeptAndNotShownAndRefusalsKeepTheForm() {
        Session session = session(ADMIN);

        HttpResponse<String> empty = dashboard.post("/webhooks", session, Map.of("url", receiver.url(),
                "_csrf", session.csrf()));
        assertThat(empty.headers().firstValue("Location").orElseThrow()).endsWith("/webhooks");
        assertThat(dashboard.get("/webhooks", session).body()).as("no event ticked: the API's refusal")
                .contains("events is empty");
        HttpResponse<String> tooShort = dashboard.post("/webhooks", session, Map.of("url", receiver.url(),
                "events", "rollout.paused", "secret", "tiny", "_csrf", session.csrf()));
        assertThat(tooShort.headers().firstValue("Location").orElseThrow()).endsWith("/webhooks");
        assertThat(dashboard.get("/webhooks", session).body()).contains("secret must be 16 to 256");
        assertThat(jdbc.queryForObject("select count(*) from webhooks", Integer.class)).isZero();

        String secret = "a-receivers-secret-0123456789abcdef";
        HttpResponse<String> created = dashboard.post("/webhooks", session, Map.of("url", receiver.url(),
                "events", "rollout.paused", "secret", secret, "_csrf", session.csrf()));
        String page = created.headers().firstValue("Location").orElseThrow();
        assertThat(page).matches(".*/webhooks/[0-9a-f-]{36}$");
        String shown = dashboard.get(page.replaceAll("^https?://[^/]+", ""), session).body();
        assertThat(shown).contains(secret).contains("rollout.paused");
        assertThat(jdbc.queryForObject("select secret from webhooks", String.class)).isEqualTo(secret);
        assertThat(dashboard.get(page.replaceAll("^https?://[^/]+", ""), session).body()).doesNotContain(secret);
    }
}
