package dev.javia.ota.server;

import dev.javia.ota.protocol.api.ApiPaths;
import dev.javia.ota.server.testing.DashboardBrowser;
import dev.javia.ota.server.testing.DashboardHttp.Session;
import dev.javia.ota.server.testing.HttpApi;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard's errors are pages a person can act on (in the layout: the status, a sentence, the way to the
 * overview), a short message for an htmx fragment, and never a stack trace or a class name; the API's paths keep
 * their problem details.
 */
@Import(DashboardErrorPageTests.FailingPage.class)
class DashboardErrorPageTests extends DashboardPageSupport {

    /** A page that fails as a bug would, with internals in its message that must not reach the browser. */
    @TestConfiguration
    static class FailingPage {

        @Bean
        Failing failing() {
            return new Failing();
        }
    }

    @Controller
    static class Failing {

        @GetMapping("/test-failing-page")
        String fail() {
            throw new IllegalStateException("dev.javia.ota.server.Secret failed: password=hunter2");
        }
    }

    @Test
    void anUnknownPageIsA404PageInTheLayoutWithTheWayBack() {
        Session session = session(ADMIN);

        HttpResponse<String> missing = dashboard.get("/no-such-page", session);

        assertPage(missing, 404, "Page not found", "There is no page at this address");
        assertThat(missing.body()).contains("<nav aria-label=\"Main\"").contains("href=\"/\"");

        DashboardBrowser browser = signedIn(ADMIN);
        browser.open("/no-such-page");
        assertThat(browser.find(By.tagName("h1")).getText()).isEqualTo("Page not found");
        assertThat(browser.find(By.cssSelector("[data-testid=error-status]")).getText()).isEqualTo("Error 404");
        browser.screenshot("error-404");
        browser.find(By.linkText("Go to the overview")).click();
        browser.until(driver -> driver.getCurrentUrl().equals(browser.url("/")));
    }

    @Test
    void aPostWithoutTheCsrfTokenIsA403PageAndChangesNothing() {
        Session session = session(ADMIN);

        HttpResponse<String> refused = dashboard.post("/webhooks", session,
                Map.of("url", "https://93.184.215.14/hooks/ota", "events", "*"));
        HttpResponse<String> forged = dashboard.post("/webhooks", session,
                Map.of("url", "https://93.184.215.14/hooks/ota", "events", "*", "_csrf", "forged"));

        assertPage(refused, 403, "Refused", "security token");
        assertPage(forged, 403, "Refused", "Reload the page and try again");
        assertThat(jdbc.queryForObject("select count(*) from webhooks", Integer.class)).isZero();
        assertThat(dashboard.get("/", session).statusCode()).as("still signed in").isEqualTo(200);
    }

    @Test
    void aMalformedParameterIsA400PageThatNamesIt() {
        Session session = session(ADMIN);

        assertPage(dashboard.get("/webhooks/not-a-uuid", session), 400, "This could not be read",
                "'id' in this address must be");
        assertPage(dashboard.get("/webhooks?page=abc", session), 400, "This could not be read",
                "'page' in this address must be");
        assertPage(dashboard.get("/webhooks?page=-1", session), 400, "This could not be read",
                "Page must be 0 or more");
        assertPage(dashboard.get("/events?device=nope", session), 400, "This could not be read", "");
    }

    @Test
    void anUnknownWebhookIsA404PageWithTheServicesSentence() {
        Session session = session(ADMIN);

        assertPage(dashboard.get("/webhooks/0190a8c2-5b6e-7f00-8000-000000000000", session), 404, "Page not found",
                "No webhook 0190a8c2-5b6e-7f00-8000-000000000000 exists");
    }

    @Test
    void aFailureInAPageIsA500PageWithoutItsInsides() {
        Session session = session(ADMIN);

        HttpResponse<String> failed = dashboard.get("/test-failing-page", session);

        assertPage(failed, 500, "Something went wrong", "Its log has the details");
        assertThat(failed.body()).doesNotContain("hunter2").doesNotContain("IllegalState").doesNotContain("Secret");
    }

    @Test
    void aFragmentThatFailsGetsAShortMessageNotAPage() {
        Session session = session(ADMIN);

        for (String path : new String[] {"/no-such-page?part=list", "/test-failing-page", "/webhooks?part=list&page=x"}) {
            HttpResponse<String> fragment = dashboard.send(dashboard.request(path, session)
                    .header("HX-Request", "true").GET().build());

            assertThat(fragment.statusCode()).as(path).isIn(400, 404, 500);
            assertThat(fragment.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
            assertThat(fragment.body()).as(path).startsWith("<p class=\"alert error\" role=\"alert\"")
                    .doesNotContain("<html").doesNotContain("<nav").doesNotContain("Exception");
        }
    }

    @Test
    void theApisPathsKeepTheirProblemDetails() throws Exception {
        Session session = session(ADMIN);

        assertProblem(api.get("/api/v1/nope", ADMIN), 404, "no endpoint at this path");
        assertProblem(api.get(ApiPaths.webhook("not-a-uuid"), ADMIN), 400, "");
        assertProblem(api.get(ApiPaths.AUDIT + "?since=yesterday", ADMIN), 400, "ISO-8601");
        HttpResponse<String> withTheCookie = dashboard.send(dashboard.request("/api/v1/nope", session)
                .header("Accept", "text/html").GET().build());
        assertThat(withTheCookie.statusCode()).isEqualTo(401);
        assertThat(withTheCookie.headers().firstValue("Content-Type").orElseThrow())
                .startsWith("application/problem+json");
        HttpResponse<String> error = dashboard.client().send(HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/error")).header("Accept", "text/html").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(error.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        HttpApi.Response keyed = api.get("/API/v1/nope", ADMIN);
        assertThat(keyed.header("Content-Type")).startsWith("application/problem+json");
    }

    private static void assertPage(HttpResponse<String> page, int status, String heading, String sentence) {
        assertThat(page.statusCode()).as(page.body()).isEqualTo(status);
        assertThat(page.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
        String text = page.body().replace("&#39;", "'").replace("&quot;", "\"").replace("&amp;", "&");
        assertThat(text).contains("<h1>" + heading + "</h1>").contains(sentence)
                .contains("<main id=\"main\"").contains("Error " + status)
                .doesNotContain("Exception").doesNotContain("at dev.javia").doesNotContain("\"status\":");
        assertThat(text.split("data-testid=\"error-message\"", -1)).as("the message once, not the fragment too")
                .hasSize(2);
    }
}
